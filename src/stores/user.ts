/** A user as the store returns it. Never carries the password hash. */
export interface User {
  id: string
  email: string
  name: string | null
  isActive: boolean
  emailVerified: boolean
  createdAt: Date
  updatedAt: Date
}
