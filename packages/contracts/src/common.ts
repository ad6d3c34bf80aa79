import { z } from 'zod';

/** Ids are UUIDs (v4 or v7) in canonical lower-case form. */
export const Id = z.uuid();
export type Id = z.infer<typeof Id>;

/** RFC 3339 timestamp, always UTC with a `Z`. */
export const Timestamp = z.iso.datetime();
export type Timestamp = z.infer<typeof Timestamp>;

/** A conversation sequence number: 1, 2, 3 … assigned by the message service. */
export const Seq = z.number().int().nonnegative();

export const Username = z
  .string()
  .min(3)
  .max(32)
  .regex(/^[a-zA-Z0-9_.-]+$/, 'use 3–32 characters of a-z 0-9 _ . -');

export const PublicUser = z.object({ id: Id, username: z.string() }).meta({ id: 'PublicUser' });
export type PublicUser = z.infer<typeof PublicUser>;
