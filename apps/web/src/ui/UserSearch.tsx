import type { PublicUser } from '@im/contracts';
import { useEffect, useState } from 'react';
import { describeError } from '../api/errors.js';
import { useServices } from '../app/services.js';

const VALID_QUERY = /^[a-zA-Z0-9_.-]{1,32}$/;

/** Users whose name starts with `query` (debounced), without me and `exclude`. */
export function useUserSearch(query: string, exclude: readonly string[] = []) {
  const { api, me } = useServices();
  const [results, setResults] = useState<PublicUser[]>([]);
  const [error, setError] = useState<string | null>(null);
  const [searching, setSearching] = useState(false);
  const trimmed = query.trim();
  const excludeKey = exclude.join(',');

  useEffect(() => {
    if (!VALID_QUERY.test(trimmed)) {
      setResults([]);
      setError(trimmed ? 'Usernames use letters, digits, _ . -' : null);
      return;
    }
    let cancelled = false;
    setSearching(true);
    const timer = setTimeout(() => {
      api.searchUsers(trimmed).then(
        (users) => {
          if (cancelled) return;
          const skip = new Set([me.userId, ...excludeKey.split(',')]);
          setResults(users.filter((u) => !skip.has(u.id)));
          setError(null);
          setSearching(false);
        },
        (failure: unknown) => {
          if (cancelled) return;
          setError(describeError(failure));
          setSearching(false);
        },
      );
    }, 200);
    return () => {
      cancelled = true;
      clearTimeout(timer);
    };
  }, [api, me.userId, trimmed, excludeKey]);

  return { results, error, searching: searching && VALID_QUERY.test(trimmed) };
}

/** A search field with a list of people to pick (for new groups and adding members). */
export function UserPicker(props: {
  label: string;
  exclude?: readonly string[];
  onPick: (user: PublicUser) => void;
}) {
  const [query, setQuery] = useState('');
  const { results, error, searching } = useUserSearch(query, props.exclude);
  return (
    <div className="user-picker">
      <label className="field">
        <span>{props.label}</span>
        <input
          type="search"
          value={query}
          placeholder="Username"
          autoCapitalize="none"
          spellCheck={false}
          onChange={(e) => setQuery(e.target.value)}
        />
      </label>
      {error && <p className="form-error">{error}</p>}
      {query.trim() && !error && (
        <ul className="picker-results" aria-live="polite" aria-busy={searching}>
          {results.map((user) => (
            <li key={user.id}>
              <button
                type="button"
                className="row-button"
                onClick={() => {
                  props.onPick(user);
                  setQuery('');
                }}
              >
                <span className="name">{user.username}</span>
                <span className="muted small">Add</span>
              </button>
            </li>
          ))}
          {!searching && results.length === 0 && <li className="muted small pad">No one by that name.</li>}
        </ul>
      )}
    </div>
  );
}
