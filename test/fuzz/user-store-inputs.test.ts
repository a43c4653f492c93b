import { describeEachBackend } from '../support/backends.js'
import { fuzzFunctions, USER_FUNCTIONS } from './store-fuzz.js'

// FUZZ_RUNS calls per function and backend (100 by default; npm run test:fuzz runs 10,000).
describeEachBackend('fuzzed UserStore inputs', (context) => fuzzFunctions(USER_FUNCTIONS, context), {
  only: ['memory', 'embedded', 'postgres'],
})
