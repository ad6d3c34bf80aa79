import { type FormEvent, useEffect, useState } from 'react';
import { describeError } from '../api/errors.js';
import { useServices } from '../app/services.js';
import type { ContactKeys } from '../keys/e2ee.js';
import { conversationTitle, directPeer, knownPresence } from '../state/chat.js';
import { useChat } from '../state/store.js';
import { Avatar, Dialog } from './common.js';
import { navigate } from './hooks.js';
import { UserPicker } from './UserSearch.js';

export function ConversationInfo(props: {
  conversationId: string;
  keys: Readonly<Record<string, ContactKeys>>;
  onKeys: (keys: ContactKeys) => void;
  onClose: () => void;
}) {
  const { store, chat, me } = useServices();
  const conversation = useChat(store, (s) => s.conversations[props.conversationId]);
  const users = useChat(store, (s) => s.users);
  const presence = useChat(store, (s) => s.presence);
  const connection = useChat(store, (s) => s.connection);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  if (!conversation) return null;
  const title = conversationTitle(conversation, store.getState());
  const isGroup = conversation.kind === 'group';
  const peer = directPeer(conversation, me.userId);
  // Only the owner may remove members (the server enforces it; the button follows).
  const iOwn = conversation.members.some((m) => m.userId === me.userId && m.role === 'owner');

  async function act(task: () => Promise<void>) {
    setBusy(true);
    setError(null);
    try {
      await task();
    } catch (failure) {
      setError(describeError(failure));
    } finally {
      setBusy(false);
    }
  }

  return (
    <Dialog title={isGroup ? title : `About ${title}`} onClose={props.onClose} wide>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      {!isGroup && peer && peer !== me.userId && (
        <SafetyNumber userId={peer} name={title} keys={props.keys[peer]} onKeys={props.onKeys} />
      )}
      {isGroup && (
        <>
          <RenameGroup conversationId={conversation.id} title={title} />
          <h3 className="section-title">{conversation.members.length} members</h3>
          <ul className="member-list">
            {[...conversation.members].sort(byMe(me.userId, users)).map((m) => {
              const name = users[m.userId]?.username ?? '…';
              const keys = props.keys[m.userId];
              return (
                <li key={m.userId}>
                  <Avatar
                    id={m.userId}
                    name={name}
                    size="sm"
                    online={
                      m.userId === me.userId
                        ? undefined
                        : knownPresence({ connection, presence }, m.userId)?.status === 'online'
                    }
                  />
                  <span className="member-name">
                    {name}
                    {m.userId === me.userId && <span className="muted"> (you)</span>}
                    {m.role === 'owner' && <span className="tag">owner</span>}
                    {keys?.changedFrom !== undefined && <span className="tag warn">keys changed</span>}
                    {keys?.verified && <span className="tag ok">verified</span>}
                  </span>
                  {m.userId !== me.userId && (
                    <details className="member-keys">
                      <summary>Safety number</summary>
                      <SafetyNumber userId={m.userId} name={name} keys={keys} onKeys={props.onKeys} compact />
                    </details>
                  )}
                  {iOwn && m.userId !== me.userId && (
                    <button
                      type="button"
                      className="secondary small"
                      disabled={busy}
                      aria-label={`Remove ${name} from the group`}
                      onClick={() => void act(() => chat.removeMember(conversation.id, m.userId))}
                    >
                      Remove
                    </button>
                  )}
                </li>
              );
            })}
          </ul>
          <UserPicker
            label="Add people"
            exclude={conversation.members.map((m) => m.userId)}
            onPick={(user) => void act(() => chat.addMembers(conversation.id, [user.id]))}
          />
          <div className="dialog-actions">
            <button
              type="button"
              className="danger"
              disabled={busy}
              onClick={() => {
                if (!window.confirm(`Leave “${title}”? You will stop receiving its messages.`)) return;
                void act(async () => {
                  await chat.leave(conversation.id);
                  props.onClose();
                  navigate(null);
                });
              }}
            >
              Leave group
            </button>
          </div>
        </>
      )}
    </Dialog>
  );
}

/** A contact's safety number with the verify / acknowledge-change actions. */
function SafetyNumber(props: {
  userId: string;
  name: string;
  keys: ContactKeys | undefined;
  onKeys: (keys: ContactKeys) => void;
  compact?: boolean;
}) {
  const { e2ee } = useServices();
  const [keys, setKeys] = useState<ContactKeys | undefined>(props.keys);
  const [error, setError] = useState<string | null>(null);
  const { userId } = props;

  useEffect(() => {
    let cancelled = false;
    e2ee.contact(userId).then(
      (k) => {
        if (!cancelled) setKeys(k);
      },
      (failure: unknown) => {
        if (!cancelled) setError(describeError(failure));
      },
    );
    return () => {
      cancelled = true;
    };
  }, [e2ee, userId]);

  async function acknowledge(verified: boolean) {
    try {
      const next = await e2ee.acknowledge(userId, verified);
      setKeys(next);
      props.onKeys(next);
    } catch (failure) {
      setError(describeError(failure));
    }
  }

  if (error) return <p className="form-error">{error}</p>;
  if (!keys) return <p className="muted">Fetching keys…</p>;
  const groups = keys.safetyNumber.split(' ');
  return (
    <div className={`safety ${props.compact ? 'compact' : ''}`}>
      {keys.changedFrom !== undefined && (
        <p className="banner warning inline" role="alert">
          {props.name}’s encryption keys changed (a new device sign-up or a reinstall, or someone in the
          middle). Compare the new safety number before trusting it.
        </p>
      )}
      {keys.suspicious && (
        <p className="banner warning inline" role="alert">
          The server offered keys for {props.name} that contradict the ones this device pinned. Messages to
          them are blocked until you compare safety numbers.
        </p>
      )}
      {!props.compact && (
        <p className="muted">
          Compare these numbers with {props.name}, in person or on a call. If they match on both screens,
          nobody is reading along.
        </p>
      )}
      <div className="safety-number" data-testid="safety-number">
        <span className="sr-only">Safety number with {props.name}:</span>
        {groups.map((g, i) => (
          // Position is the identity of each group of digits.
          // biome-ignore lint/suspicious/noArrayIndexKey: fixed 12 groups
          <span key={i} className="group">
            {g}
          </span>
        ))}
      </div>
      <p className="small muted">
        Their key fingerprint: <code data-testid="fingerprint">{keys.fingerprint}</code> (key version{' '}
        {keys.keyVersion})
      </p>
      <div className="dialog-actions">
        {keys.verified ? (
          <span className="tag ok">Verified</span>
        ) : (
          <button type="button" className="primary small" onClick={() => void acknowledge(true)}>
            Mark as verified
          </button>
        )}
        {keys.changedFrom !== undefined && (
          <button type="button" className="secondary small" onClick={() => void acknowledge(false)}>
            Accept the new keys
          </button>
        )}
      </div>
    </div>
  );
}

function RenameGroup({ conversationId, title }: { conversationId: string; title: string }) {
  const { chat } = useServices();
  const [editing, setEditing] = useState(false);
  const [value, setValue] = useState(title);
  const [error, setError] = useState<string | null>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const next = value.trim();
    if (!next || next === title) {
      setEditing(false);
      return;
    }
    try {
      await chat.rename(conversationId, next);
      setEditing(false);
      setError(null);
    } catch (failure) {
      setError(describeError(failure));
    }
  }

  if (!editing) {
    return (
      <div className="dialog-actions start">
        <button
          type="button"
          className="secondary small"
          onClick={() => {
            setValue(title);
            setEditing(true);
          }}
        >
          Rename group
        </button>
      </div>
    );
  }
  return (
    <form className="rename" onSubmit={submit}>
      <label className="field">
        <span>Group name</span>
        <input required maxLength={100} value={value} onChange={(e) => setValue(e.target.value)} />
      </label>
      {error && (
        <p className="form-error" role="alert">
          {error}
        </p>
      )}
      <div className="dialog-actions">
        <button type="button" className="secondary small" onClick={() => setEditing(false)}>
          Cancel
        </button>
        <button type="submit" className="primary small">
          Save
        </button>
      </div>
    </form>
  );
}

/** Me first, then everyone by name. */
function byMe(me: string, users: Readonly<Record<string, { username: string }>>) {
  return (a: { userId: string }, b: { userId: string }) =>
    Number(b.userId === me) - Number(a.userId === me) ||
    (users[a.userId]?.username ?? '').localeCompare(users[b.userId]?.username ?? '');
}
