import type { PublicUser } from '@im/contracts';
import { type FormEvent, useState } from 'react';
import { describeError } from '../api/errors.js';
import { useServices } from '../app/services.js';
import { Dialog } from './common.js';
import { navigate } from './hooks.js';
import { UserPicker } from './UserSearch.js';

export function NewGroupDialog({ onClose }: { onClose: () => void }) {
  const { chat } = useServices();
  const [title, setTitle] = useState('');
  const [members, setMembers] = useState<PublicUser[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  async function create(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const id = await chat.createGroup(
        title.trim(),
        members.map((m) => m.id),
      );
      onClose();
      navigate(id);
    } catch (failure) {
      setError(describeError(failure));
      setBusy(false);
    }
  }

  return (
    <Dialog title="New group" onClose={onClose}>
      <form onSubmit={create} className="stack">
        <label className="field">
          <span>Group name</span>
          <input
            required
            maxLength={100}
            value={title}
            onChange={(e) => setTitle(e.target.value)}
            autoFocus
          />
        </label>
        <UserPicker
          label="Add people"
          exclude={members.map((m) => m.id)}
          onPick={(user) => setMembers((list) => [...list, user])}
        />
        {members.length > 0 && (
          <ul className="chips" aria-label="Members to add">
            {members.map((m) => (
              <li key={m.id} className="chip">
                {m.username}
                <button
                  type="button"
                  aria-label={`Remove ${m.username}`}
                  onClick={() => setMembers((list) => list.filter((x) => x.id !== m.id))}
                >
                  ×
                </button>
              </li>
            ))}
          </ul>
        )}
        {error && (
          <p className="form-error" role="alert">
            {error}
          </p>
        )}
        <div className="dialog-actions">
          <button type="button" className="secondary" onClick={onClose}>
            Cancel
          </button>
          <button type="submit" className="primary" disabled={busy || !title.trim()}>
            {busy ? 'Creating…' : `Create group${members.length > 0 ? ` with ${members.length + 1}` : ''}`}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
