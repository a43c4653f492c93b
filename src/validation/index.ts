export { MAX_INTEGER, parseTaskId, parseUserId, taskIdSchema, userIdSchema } from './id-schemas.js'
export { parseArgument, parseInput } from './parse-input.js'
export { parseTaskQuery } from './query-parsing.js'
export { parseTaskInput, parseTaskPatch } from './task-parsing.js'
export {
  allTasksQuerySchema,
  MAX_CURSOR_LENGTH,
  TASK_SORTS,
  type TaskInput,
  type TaskPatch,
  TITLE_LENGTH,
  taskInputSchema,
  taskPatchSchema,
  taskQuerySchema,
} from './task-schemas.js'
export { codePointLength } from './text-rules.js'
export {
  emailSchema,
  passwordSchema,
  type UserInput,
  type UserPatch,
  userInputSchema,
  userPatchSchema,
} from './user-schemas.js'
