import type { IdentityKeys } from '@im/crypto';
import { isCryptoError } from '@im/crypto';
import { type FormEvent, useId, useState } from 'react';
import type { Api } from '../api/api.js';
import { describeError } from '../api/errors.js';
import { deviceName, establishKeys, type KeyStep } from '../app/keys.js';
import type { SessionManager } from '../session/session.js';

type Mode = 'sign-in' | 'register';

const STEP_TEXT: Record<KeyStep, string> = {
  'signing-in': 'Signing in…',
  'restoring-keys': 'Unlocking your encryption keys…',
  'creating-keys': 'Creating your encryption keys…',
};

export function AuthScreen(props: {
  api: Api;
  session: SessionManager;
  /** Set when the session is kept but this browser lost the keys: ask only for the password. */
  unlockFor?: { userId: string; username: string } | undefined;
  notice?: string | undefined;
  onReady: (keyring: IdentityKeys[]) => void;
}) {
  const { api, session, unlockFor } = props;
  const [mode, setMode] = useState<Mode>('sign-in');
  const [username, setUsername] = useState(unlockFor?.username ?? '');
  const [password, setPassword] = useState('');
  const [confirm, setConfirm] = useState('');
  const [step, setStep] = useState<KeyStep | null>(null);
  const [error, setError] = useState<string | null>(null);
  const ids = { user: useId(), pass: useId(), confirm: useId(), hint: useId(), error: useId() };

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    if (mode === 'register' && password !== confirm) {
      setError('The two passwords differ.');
      return;
    }
    setStep('signing-in');
    try {
      if (unlockFor) {
        props.onReady(await establishKeys(api, unlockFor.userId, password, setStep));
        return;
      }
      if (mode === 'register') await api.register(username.trim(), password);
      const pair = await api.login(username.trim(), password, deviceName());
      // The keys are in place before the session is stored, so the app opens straight into the chats.
      const keyring = await establishKeys(
        api.withToken(pair.accessToken),
        pair.user.id,
        password,
        setStep,
        mode === 'register',
      );
      session.begin(pair);
      props.onReady(keyring);
    } catch (failure) {
      setStep(null);
      if (isCryptoError(failure, 'CRYPTO_BAD_PASSWORD')) {
        setError(
          'Signed in, but your encryption keys did not open with this password. If you changed it on another device, use the new one.',
        );
      } else {
        setError(describeError(failure));
      }
    }
  }

  const busy = step !== null;
  const registering = mode === 'register' && !unlockFor;
  return (
    <main className="auth">
      <div className="auth-card">
        <div className="brand" aria-hidden="true">
          <span className="brand-mark">◆</span> Cipher Chat
        </div>
        {unlockFor ? (
          <>
            <h1>Unlock your messages</h1>
            <p className="muted">
              {props.notice ??
                `This browser no longer holds the encryption keys of ${unlockFor.username}. Enter your password to restore them.`}
            </p>
          </>
        ) : (
          <>
            <h1>{registering ? 'Create your account' : 'Welcome back'}</h1>
            {props.notice && (
              <p className="notice" role="status">
                {props.notice}
              </p>
            )}
            <div className="segmented" role="tablist" aria-label="Account">
              <button
                type="button"
                role="tab"
                aria-selected={mode === 'sign-in'}
                onClick={() => {
                  setMode('sign-in');
                  setError(null);
                }}
              >
                Sign in
              </button>
              <button
                type="button"
                role="tab"
                aria-selected={mode === 'register'}
                onClick={() => {
                  setMode('register');
                  setError(null);
                }}
              >
                Create account
              </button>
            </div>
          </>
        )}
        <form onSubmit={submit} aria-describedby={error ? ids.error : undefined} noValidate={false}>
          {!unlockFor && (
            <div className="field">
              <label htmlFor={ids.user}>Username</label>
              <input
                id={ids.user}
                name="username"
                autoComplete="username"
                autoCapitalize="none"
                spellCheck={false}
                required
                minLength={3}
                maxLength={32}
                pattern="[a-zA-Z0-9_.\-]+"
                title="3–32 characters: letters, digits, _ . -"
                value={username}
                onChange={(e) => setUsername(e.target.value)}
                disabled={busy}
                // biome-ignore lint/a11y/noAutofocus: the sign-in form is the whole page; its first field is where everyone starts
                autoFocus
              />
            </div>
          )}
          <div className="field">
            <label htmlFor={ids.pass}>Password</label>
            <input
              id={ids.pass}
              name="password"
              type="password"
              autoComplete={registering ? 'new-password' : 'current-password'}
              required
              minLength={registering ? 8 : 1}
              value={password}
              onChange={(e) => setPassword(e.target.value)}
              disabled={busy}
              aria-describedby={registering ? ids.hint : undefined}
              // biome-ignore lint/a11y/noAutofocus: the unlock form has this one field
              autoFocus={Boolean(unlockFor)}
            />
          </div>
          {registering && (
            <>
              <div className="field">
                <label htmlFor={ids.confirm}>Repeat password</label>
                <input
                  id={ids.confirm}
                  name="confirm"
                  type="password"
                  autoComplete="new-password"
                  required
                  minLength={8}
                  value={confirm}
                  onChange={(e) => setConfirm(e.target.value)}
                  disabled={busy}
                />
              </div>
              <p id={ids.hint} className="hint">
                At least 8 characters. Your password also locks your encryption keys: nobody, not even the
                server, can recover your messages without it.
              </p>
            </>
          )}
          {error && (
            <p id={ids.error} className="form-error" role="alert">
              {error}
            </p>
          )}
          <button className="primary wide" type="submit" disabled={busy}>
            {busy ? STEP_TEXT[step] : unlockFor ? 'Unlock' : registering ? 'Create account' : 'Sign in'}
          </button>
          {unlockFor && (
            <button type="button" className="link" onClick={() => session.clear()} disabled={busy}>
              Sign in as someone else
            </button>
          )}
        </form>
      </div>
    </main>
  );
}
