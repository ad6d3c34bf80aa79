import type { SessionInfo } from '@im/contracts';
import { isCryptoError } from '@im/crypto';
import { type FormEvent, useCallback, useEffect, useState } from 'react';
import { describeError } from '../api/errors.js';
import { changePassword } from '../app/keys.js';
import { useServices } from '../app/services.js';
import { Dialog } from './common.js';

export function SettingsDialog({ onClose }: { onClose: () => void }) {
  const { api, me, e2ee, signOut } = useServices();
  const [sessions, setSessions] = useState<SessionInfo[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [signingOut, setSigningOut] = useState(false);

  const load = useCallback(() => {
    api.sessions().then(
      // This device first, then the most recently active.
      (list) =>
        setSessions(
          [...list].sort(
            (a, b) => Number(b.current) - Number(a.current) || b.lastUsedAt.localeCompare(a.lastUsedAt),
          ),
        ),
      (failure: unknown) => setError(describeError(failure)),
    );
  }, [api]);
  useEffect(load, [load]);

  async function revoke(session: SessionInfo) {
    if (!window.confirm(`Sign out “${session.deviceName}”? It will need the password to come back.`)) return;
    setError(null);
    try {
      await api.revokeSession(session.id);
      load();
    } catch (failure) {
      setError(describeError(failure));
    }
  }

  return (
    <Dialog title="Settings" onClose={onClose} wide>
      <section className="stack">
        <h3 className="section-title">Account</h3>
        <p>
          Signed in as <strong>{me.username}</strong>.
        </p>
        <p className="small muted">
          Your key fingerprint (others see it as part of their safety number with you):
          <br />
          <code data-testid="my-fingerprint">{e2ee.myFingerprint}</code>
        </p>
      </section>
      <PasswordSection onChanged={load} />
      <section className="stack">
        <h3 className="section-title">Devices</h3>
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        {!sessions && !error && <p className="muted">Loading devices…</p>}
        {sessions && (
          <ul className="device-list">
            {sessions.map((s) => (
              <li key={s.id}>
                <span className="device-name">
                  {s.deviceName}
                  {s.current && <span className="tag ok">this device</span>}
                </span>
                <span className="device-meta small muted">
                  Signed in {new Date(s.createdAt).toLocaleDateString()} · last active{' '}
                  {new Date(s.lastUsedAt).toLocaleString()}
                </span>
                {!s.current && (
                  <button type="button" className="secondary small" onClick={() => void revoke(s)}>
                    Revoke
                  </button>
                )}
              </li>
            ))}
          </ul>
        )}
      </section>
      <div className="dialog-actions">
        <button
          type="button"
          className="danger"
          disabled={signingOut}
          onClick={() => {
            setSigningOut(true);
            void signOut();
          }}
        >
          {signingOut ? 'Signing out…' : 'Sign out'}
        </button>
      </div>
    </Dialog>
  );
}

/** Change the password; the key backup is re-sealed under the new one in the same step. */
function PasswordSection({ onChanged }: { onChanged: () => void }) {
  const { api } = useServices();
  const [open, setOpen] = useState(false);
  const [current, setCurrent] = useState('');
  const [next, setNext] = useState('');
  const [repeat, setRepeat] = useState('');
  const [state, setState] = useState<{ busy: boolean; error: string | null; done: boolean }>({
    busy: false,
    error: null,
    done: false,
  });

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (next !== repeat) {
      setState({ busy: false, error: 'The two new passwords differ.', done: false });
      return;
    }
    setState({ busy: true, error: null, done: false });
    try {
      await changePassword(api, current, next);
      setState({ busy: false, error: null, done: true });
      setCurrent('');
      setNext('');
      setRepeat('');
      setOpen(false);
      onChanged();
    } catch (failure) {
      const error = isCryptoError(failure, 'CRYPTO_BAD_PASSWORD')
        ? 'The current password is wrong.'
        : describeError(failure);
      setState({ busy: false, error, done: false });
    }
  }

  return (
    <section className="stack">
      <h3 className="section-title">Password</h3>
      {state.done && (
        <p className="notice" role="status">
          Password changed. Your other devices were signed out; your keys now open with the new password.
        </p>
      )}
      {!open ? (
        <div>
          <button type="button" className="secondary small" onClick={() => setOpen(true)}>
            Change password
          </button>
        </div>
      ) : (
        <form className="stack" onSubmit={submit}>
          <label className="field">
            <span>Current password</span>
            <input
              type="password"
              autoComplete="current-password"
              required
              value={current}
              onChange={(e) => setCurrent(e.target.value)}
            />
          </label>
          <label className="field">
            <span>New password</span>
            <input
              type="password"
              autoComplete="new-password"
              required
              minLength={8}
              value={next}
              onChange={(e) => setNext(e.target.value)}
            />
          </label>
          <label className="field">
            <span>Repeat new password</span>
            <input
              type="password"
              autoComplete="new-password"
              required
              minLength={8}
              value={repeat}
              onChange={(e) => setRepeat(e.target.value)}
            />
          </label>
          <p className="hint">
            Your other devices will be signed out. Your encryption keys are re-locked with the new password.
          </p>
          {state.error && (
            <p className="form-error" role="alert">
              {state.error}
            </p>
          )}
          <div className="dialog-actions">
            <button type="button" className="secondary small" onClick={() => setOpen(false)}>
              Cancel
            </button>
            <button type="submit" className="primary small" disabled={state.busy}>
              {state.busy ? 'Changing…' : 'Change password'}
            </button>
          </div>
        </form>
      )}
    </section>
  );
}
