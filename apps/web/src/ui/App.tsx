import type { IdentityKeys } from '@im/crypto';
import { useEffect, useRef, useState, useSyncExternalStore } from 'react';
import type { Api } from '../api/api.js';
import { forgetUser, loadKeyring } from '../keys/keystore.js';
import type { SessionManager, StoredSession } from '../session/session.js';
import { AuthScreen } from './AuthScreen.js';
import { Messenger } from './Messenger.js';

type Keys =
  | { userId: string; state: 'loading' }
  | { userId: string; state: 'missing' }
  | { userId: string; state: 'ready'; keyring: IdentityKeys[] };

/** Sign-in gate: the auth screen, the key unlock, or the messenger of the signed-in user. */
export function App({ api, session }: { api: Api; session: SessionManager }) {
  const current = useSyncExternalStore(session.subscribe, () => session.current);
  const [keys, setKeys] = useState<Keys | null>(null);
  const [notice, setNotice] = useState<string | undefined>();
  const signingOut = useRef(false);
  const previous = useRef<StoredSession | null>(current);

  // The keys in state, readable from the effect below without making it re-run when they load.
  const keysRef = useRef(keys);
  keysRef.current = keys;

  useEffect(() => {
    if (!current) {
      if (previous.current && !signingOut.current) {
        setNotice('Your session ended (signed out on this or another device). Sign in again.');
        // Revoked from elsewhere (a lost laptop, say): take this user's keys and unsent messages off this browser too.
        const { userId } = previous.current;
        forgetUser(userId).catch((error: unknown) =>
          console.warn('[im] could not clear the stored keys', error),
        );
      }
      signingOut.current = false;
      previous.current = null;
      setKeys(null);
      return;
    }
    previous.current = current;
    if (keysRef.current?.userId === current.userId) return;
    let cancelled = false;
    const userId = current.userId;
    setKeys({ userId, state: 'loading' });
    loadKeyring(userId).then(
      (keyring) => {
        if (!cancelled) setKeys(keyring ? { userId, state: 'ready', keyring } : { userId, state: 'missing' });
      },
      (error: unknown) => {
        console.warn('[im] reading the stored keys failed', error);
        if (!cancelled) setKeys({ userId, state: 'missing' });
      },
    );
    return () => {
      cancelled = true;
    };
  }, [current]);

  if (!current) {
    return (
      <AuthScreen
        api={api}
        session={session}
        notice={notice}
        onReady={(keyring) => {
          setNotice(undefined);
          const userId = keyring.at(-1)?.userId;
          if (userId) setKeys({ userId, state: 'ready', keyring });
        }}
      />
    );
  }
  if (!keys || keys.userId !== current.userId || keys.state === 'loading') {
    return (
      <div className="splash" role="status" aria-live="polite">
        Opening…
      </div>
    );
  }
  if (keys.state === 'missing') {
    return (
      <AuthScreen
        api={api}
        session={session}
        unlockFor={{ userId: current.userId, username: current.username }}
        onReady={(keyring) => setKeys({ userId: current.userId, state: 'ready', keyring })}
      />
    );
  }
  return (
    <Messenger
      key={current.userId}
      api={api}
      session={session}
      me={current}
      keyring={keys.keyring}
      onSigningOut={() => {
        signingOut.current = true;
      }}
    />
  );
}
