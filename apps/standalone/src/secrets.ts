import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

const Secrets = z.object({
  /** Seals the auth service's signing keys at rest (32 bytes, base64). */
  signingKeyEncryptionKey: z.string().min(43),
  /** Shared secret of the message service's internal endpoints. */
  internalToken: z.string().min(16),
});
export type Secrets = z.infer<typeof Secrets>;

/**
 * The secrets a standalone install needs, generated on first start and kept in
 * `<dataDir>/secrets.json` (mode 0600), so tokens and signing keys stay valid
 * across restarts without the user setting anything.
 */
export async function loadOrCreateSecrets(dataDir: string): Promise<Secrets> {
  const file = join(dataDir, 'secrets.json');
  try {
    return Secrets.parse(JSON.parse(await readFile(file, 'utf8')));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new Error(
        `${file} is unreadable or malformed; fix or delete it (deleting it invalidates sessions)`,
        {
          cause: error,
        },
      );
    }
  }
  const secrets: Secrets = {
    signingKeyEncryptionKey: randomBytes(32).toString('base64'),
    internalToken: randomBytes(24).toString('base64url'),
  };
  // Not 0700: as root, the embedded PostgreSQL runs as the postgres user and needs to reach its folder inside.
  await mkdir(dataDir, { recursive: true });
  await writeFile(file, `${JSON.stringify(secrets, null, 2)}\n`, { mode: 0o600, flag: 'wx' });
  return secrets;
}
