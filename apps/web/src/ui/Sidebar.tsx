import { useEffect, useMemo, useRef, useState } from 'react';
import { describeError } from '../api/errors.js';
import { useServices } from '../app/services.js';
import { listTimeLabel } from '../lib/dates.js';
import { deriveStatus } from '../lib/status.js';
import {
  type ChatState,
  type ConversationView,
  conversationTitle,
  directPeer,
  knownPresence,
  sortedConversations,
} from '../state/chat.js';
import { useChat } from '../state/store.js';
import { Avatar, Icon, StatusMark } from './common.js';
import { navigate, useNow } from './hooks.js';
import { NewGroupDialog } from './NewGroupDialog.js';
import { SettingsDialog } from './SettingsDialog.js';
import { useUserSearch } from './UserSearch.js';

const CONNECTION_TEXT: Record<ChatState['connection'], string> = {
  connecting: 'Connecting…',
  syncing: 'Updating…',
  online: 'Online',
  reconnecting: 'Reconnecting…',
  offline: 'Offline',
};

export function Sidebar({ selectedId }: { selectedId: string | null }) {
  const { store, me, chat } = useServices();
  const state = useChat(store, (s) => s);
  const [query, setQuery] = useState('');
  const [dialog, setDialog] = useState<'group' | 'settings' | null>(null);
  const [startError, setStartError] = useState<string | null>(null);
  const now = useNow(60_000);
  const conversations = useMemo(() => sortedConversations(state), [state]);
  const { results, error, searching } = useUserSearch(query);
  const searchBox = useRef<HTMLInputElement>(null);

  // Ctrl+K (⌘K on a Mac) jumps to the search box from anywhere.
  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === 'k') {
        event.preventDefault();
        searchBox.current?.focus();
        searchBox.current?.select();
      }
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, []);

  const filtered = query.trim()
    ? conversations.filter((c) =>
        conversationTitle(c, state).toLowerCase().includes(query.trim().toLowerCase()),
      )
    : conversations;

  async function startWith(userId: string) {
    setStartError(null);
    try {
      const id = await chat.startDirect(userId);
      setQuery('');
      navigate(id);
    } catch (failure) {
      setStartError(describeError(failure));
    }
  }

  return (
    <aside className="sidebar" aria-label="Conversations">
      <header className="sidebar-header">
        <Avatar id={me.userId} name={me.username} />
        <div className="me">
          <strong>{me.username}</strong>
          <span className={`connection ${state.connection}`}>{CONNECTION_TEXT[state.connection]}</span>
        </div>
        <button
          type="button"
          className="icon-button"
          aria-label="New group"
          title="New group"
          onClick={() => setDialog('group')}
        >
          <Icon name="group" />
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label="Settings and devices"
          title="Settings and devices"
          onClick={() => setDialog('settings')}
        >
          <Icon name="settings" />
        </button>
      </header>
      <div className="search">
        <Icon name="search" />
        <input
          ref={searchBox}
          type="search"
          aria-keyshortcuts="Control+K Meta+K"
          aria-label="Search chats and people"
          placeholder="Search chats and people (Ctrl+K)"
          autoCapitalize="none"
          spellCheck={false}
          value={query}
          onChange={(e) => setQuery(e.target.value)}
          onKeyDown={(e) => {
            if (e.key === 'Escape') setQuery('');
          }}
        />
      </div>
      <nav className="conversation-list" aria-label="Chats">
        {query.trim() && <h3 className="list-heading">Chats</h3>}
        {!state.conversationsLoaded && <p className="muted pad">Loading chats…</p>}
        {state.conversationsLoaded && conversations.length === 0 && !query.trim() && (
          <p className="muted pad">No chats yet. Search for a username above to start one.</p>
        )}
        <ul>
          {filtered.map((c) => (
            <li key={c.id}>
              <ConversationRow
                conversation={c}
                state={state}
                selected={c.id === selectedId}
                now={now}
                onOpen={() => setQuery('')}
              />
            </li>
          ))}
        </ul>
        {query.trim() && (
          <>
            <h3 className="list-heading">People</h3>
            {error && <p className="form-error pad">{error}</p>}
            {startError && (
              <p className="form-error pad" role="alert">
                {startError}
              </p>
            )}
            <ul aria-busy={searching}>
              {results.map((user) => (
                <li key={user.id}>
                  <button type="button" className="conversation-row" onClick={() => void startWith(user.id)}>
                    <Avatar
                      id={user.id}
                      name={user.username}
                      online={knownPresence(state, user.id)?.status === 'online'}
                    />
                    <span className="row-main">
                      <span className="row-title">{user.username}</span>
                      <span className="row-preview">Start a chat</span>
                    </span>
                  </button>
                </li>
              ))}
              {!searching && !error && results.length === 0 && (
                <li className="muted pad small">No one by that name.</li>
              )}
            </ul>
          </>
        )}
      </nav>
      {dialog === 'group' && <NewGroupDialog onClose={() => setDialog(null)} />}
      {dialog === 'settings' && <SettingsDialog onClose={() => setDialog(null)} />}
    </aside>
  );
}

function ConversationRow(props: {
  conversation: ConversationView;
  state: ChatState;
  selected: boolean;
  now: number;
  onOpen: () => void;
}) {
  const { conversation: c, state } = props;
  const title = conversationTitle(c, state);
  const peer = directPeer(c, state.me);
  const typing = Object.keys(state.typing[c.id] ?? {});
  const last = c.lastMessage;
  let preview: string;
  if (typing.length > 0) {
    preview = c.kind === 'group' ? `${state.users[typing[0]!]?.username ?? 'Someone'} is typing…` : 'typing…';
  } else if (!last) {
    preview = c.kind === 'group' ? `${c.members.length} members` : 'No messages yet';
  } else {
    const text = last.body.kind === 'text' ? last.body.text : '🔒 Unreadable message';
    const author =
      last.senderId === state.me
        ? 'You: '
        : c.kind === 'group'
          ? `${state.users[last.senderId]?.username ?? '…'}: `
          : '';
    preview = `${author}${text}`;
  }
  const unread = c.unreadCount;
  const ownStatus =
    last && last.senderId === state.me && typing.length === 0
      ? deriveStatus(
          { seq: last.seq, createdAt: last.createdAt, failed: last.failure !== undefined },
          c.members,
          state.me,
        ).status
      : null;
  return (
    <a
      href={`#/c/${c.id}`}
      className={`conversation-row ${props.selected ? 'selected' : ''} ${unread > 0 ? 'unread' : ''}`}
      aria-current={props.selected ? 'page' : undefined}
      onClick={props.onOpen}
      data-conversation-id={c.id}
    >
      <Avatar
        id={peer ?? c.id}
        name={title}
        online={peer && peer !== state.me ? knownPresence(state, peer)?.status === 'online' : undefined}
      />
      <span className="row-main">
        <span className="row-top">
          <span className="row-title">{title}</span>
          {last && (
            <time className="row-time">{listTimeLabel(new Date(last.createdAt), new Date(props.now))}</time>
          )}
        </span>
        <span className="row-bottom">
          {ownStatus && <StatusMark status={ownStatus} />}
          <span className={`row-preview ${typing.length > 0 ? 'typing' : ''}`}>{preview}</span>
          {unread > 0 && (
            <span className="badge" data-count={unread}>
              {unread > 99 ? '99+' : unread}
              <span className="sr-only"> unread</span>
            </span>
          )}
        </span>
      </span>
    </a>
  );
}
