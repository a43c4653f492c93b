// A process that takes and gives up the lock on a data directory when told to,
// for the lock tests. It prints {"ready": pid}, then answers JSON lines:
//   lock <dir>                 {"won": true} or {"won": false, "code", "message"}
//   release                    {"released": true}
//   exit                       ends the process without releasing (the exit hook must)
//   churn <dir> <rounds> <log> takes the lock `rounds` times, writing "+pid" and "-pid"
//                              to the log while it holds it; {"held": rounds, "refused": n}
import { appendFileSync } from 'node:fs'
import { createInterface } from 'node:readline'
import { setTimeout as sleep } from 'node:timers/promises'
import { type DataDirLock, lockDataDir } from '../../src/testing/data-dir-lock.js'

const say = (message: object) => console.log(JSON.stringify(message))
const pause = new Int32Array(new SharedArrayBuffer(4))
let lock: DataDirLock | undefined

say({ ready: process.pid })
for await (const line of createInterface({ input: process.stdin })) {
  const [command, dir, rounds, log] = line.split(' ')
  if (command === 'lock') {
    try {
      lock = lockDataDir(dir!)
      say({ won: true })
    } catch (error) {
      say({ won: false, code: (error as { code?: string }).code, message: (error as Error).message })
    }
  } else if (command === 'release') {
    lock?.release()
    say({ released: true })
  } else if (command === 'exit') {
    process.exit(0)
  } else if (command === 'churn') {
    let held = 0
    let refused = 0
    while (held < Number(rounds)) {
      let churnLock: DataDirLock
      try {
        churnLock = lockDataDir(dir!)
      } catch {
        refused++
        await sleep(Math.random() * 3)
        continue
      }
      appendFileSync(log!, `+${process.pid}\n`)
      Atomics.wait(pause, 0, 0, 1 + Math.random() * 2)
      appendFileSync(log!, `-${process.pid}\n`)
      churnLock.release()
      held++
      await sleep(Math.random() * 3)
    }
    say({ held, refused })
  }
}
