export interface UserRecord {
  id: string;
  username: string;
  usernameCanonical: string;
  passwordHash: string;
  createdAt: Date;
  passwordChangedAt: Date;
}

/** Thrown by `create` when the canonical username exists already. */
export class UsernameTakenError extends Error {
  constructor() {
    super('username taken');
    this.name = 'UsernameTakenError';
  }
}

export interface UserRepository {
  /** Throws UsernameTakenError when the canonical username is taken (race-safe: a unique index decides). */
  create(user: UserRecord): Promise<void>;
  findById(id: string): Promise<UserRecord | null>;
  findByCanonicalUsername(canonical: string): Promise<UserRecord | null>;
  /** Users whose canonical username starts with `prefix`, shortest (then alphabetical) first. */
  searchByPrefix(prefix: string, limit: number): Promise<UserRecord[]>;
  updatePasswordHash(id: string, passwordHash: string, changedAt: Date | null): Promise<void>;
}
