import { useEffect, useMemo, useState } from 'react';
import { describeError } from '../api/errors.js';
import { useServices } from '../app/services.js';
import type { ContactKeys } from '../keys/e2ee.js';
import { lastSeenLabel } from '../lib/dates.js';
import { conversationTitle, directPeer, knownPresence } from '../state/chat.js';
import { useChat } from '../state/store.js';
import { Composer } from './Composer.js';
import { ConversationInfo } from './ConversationInfo.js';
import { Avatar, Icon } from './common.js';
import { navigate, useNow } from './hooks.js';
import { Timeline } from './Timeline.js';

export function ChatView({ conversationId }: { conversationId: string }) {
  const { store, chat, e2ee, me } = useServices();
  const conversation = useChat(store, (s) => s.conversations[conversationId]);
  const users = useChat(store, (s) => s.users);
  const presence = useChat(store, (s) => s.presence);
  const typingMap = useChat(store, (s) => s.typing[conversationId]);
  const connection = useChat(store, (s) => s.connection);
  const retryAt = useChat(store, (s) => s.retryAt);
  const [infoOpen, setInfoOpen] = useState(false);
  const [loadError, setLoadError] = useState<string | null>(null);
  const [alerts, setAlerts] = useState<Record<string, ContactKeys>>({});
  const now = useNow(30_000);

  useEffect(() => {
    setLoadError(null);
    chat.open(conversationId).catch((failure: unknown) => setLoadError(describeError(failure)));
  }, [chat, conversationId]);

  // Key-change warnings for the people in this chat: from the pins, and live as changes are seen.
  const memberKey = conversation?.members.map((m) => m.userId).join(',') ?? '';
  useEffect(() => {
    let cancelled = false;
    const ids = memberKey.split(',').filter((id) => id && id !== me.userId);
    Promise.allSettled(ids.map((id) => e2ee.contact(id))).then((results) => {
      if (cancelled) return;
      const next: Record<string, ContactKeys> = {};
      for (const r of results) if (r.status === 'fulfilled') next[r.value.userId] = r.value;
      setAlerts(next);
    });
    const off = e2ee.onKeyAlert((keys) => {
      if (ids.includes(keys.userId)) setAlerts((current) => ({ ...current, [keys.userId]: keys }));
    });
    return () => {
      cancelled = true;
      off();
    };
  }, [e2ee, memberKey, me.userId]);

  // Lapsed entries are swept every second by the shell.
  const typing = useMemo(() => Object.keys(typingMap ?? {}), [typingMap]);

  if (!conversation) return null;
  const state = store.getState();
  const title = conversationTitle(conversation, state);
  const peer = directPeer(conversation, me.userId);
  const peerPresence = peer ? knownPresence({ connection, presence }, peer) : undefined;
  const isGroup = conversation.kind === 'group';

  let subtitle: string;
  if (typing.length > 0) {
    const names = typing.map((id) => users[id]?.username ?? 'Someone');
    subtitle = isGroup
      ? `${names.slice(0, 2).join(', ')}${names.length > 2 ? ` and ${names.length - 2} more` : ''} ${names.length > 1 ? 'are' : 'is'} typing…`
      : 'typing…';
  } else if (isGroup) {
    subtitle = `${conversation.members.length} members`;
  } else if (peerPresence?.status === 'online') {
    subtitle = 'online';
  } else if (peerPresence?.lastSeenAt) {
    subtitle = lastSeenLabel(new Date(peerPresence.lastSeenAt), new Date(now));
  } else {
    subtitle = '';
  }

  const changed = Object.values(alerts).filter((k) => k.changedFrom !== undefined || k.suspicious);

  return (
    <section className="chat" aria-label={`Chat with ${title}`}>
      <header className="chat-header">
        <button
          type="button"
          className="icon-button back"
          aria-label="Back to chats"
          onClick={() => navigate(null)}
        >
          <Icon name="back" />
        </button>
        <Avatar
          id={peer ?? conversation.id}
          name={title}
          online={peer && peer !== me.userId ? peerPresence?.status === 'online' : undefined}
        />
        <button type="button" className="chat-title" onClick={() => setInfoOpen(true)} aria-haspopup="dialog">
          <h1>{title}</h1>
          <span className={`subtitle ${typing.length > 0 ? 'typing' : ''}`} aria-live="polite">
            {subtitle}
          </span>
        </button>
        <button
          type="button"
          className="icon-button"
          aria-label={isGroup ? 'Group info and members' : 'Contact info and safety number'}
          title="Info"
          onClick={() => setInfoOpen(true)}
        >
          <Icon name="info" />
        </button>
      </header>
      {(connection === 'offline' || connection === 'reconnecting') && (
        <OfflineBanner connection={connection} retryAt={retryAt} onRetry={() => void chat.reconnectNow()} />
      )}
      {changed.length > 0 && (
        <div className="banner warning" role="alert">
          <Icon name="warning" />
          <span>
            {changed.map((k) => users[k.userId]?.username ?? 'A member').join(', ')}
            {changed.length > 1 ? ' have' : ' has'} new encryption keys
            {changed.some((k) => k.suspicious) ? ' that do not match what this device saw before' : ''}.
            Compare safety numbers before sending anything sensitive.
          </span>
          <button type="button" className="link" onClick={() => setInfoOpen(true)}>
            Review
          </button>
        </div>
      )}
      {loadError ? (
        <div className="load-error" role="alert">
          <p>Messages could not be loaded: {loadError}</p>
          <button
            type="button"
            className="secondary"
            onClick={() => {
              setLoadError(null);
              chat.open(conversationId).catch((failure: unknown) => setLoadError(describeError(failure)));
            }}
          >
            Try again
          </button>
        </div>
      ) : (
        <Timeline conversation={conversation} />
      )}
      <div className="typing-row" aria-hidden="true">
        {typing.length > 0 && (
          <>
            <span className="dots">
              <i />
              <i />
              <i />
            </span>
            {isGroup ? subtitle : `${title} is typing…`}
          </>
        )}
      </div>
      <Composer conversationId={conversationId} title={title} />
      {infoOpen && (
        <ConversationInfo
          conversationId={conversationId}
          keys={alerts}
          onKeys={(k) => setAlerts((current) => ({ ...current, [k.userId]: k }))}
          onClose={() => setInfoOpen(false)}
        />
      )}
    </section>
  );
}

function OfflineBanner(props: {
  connection: 'offline' | 'reconnecting';
  retryAt: number | null;
  onRetry: () => void;
}) {
  const now = useNow(1_000);
  const seconds = props.retryAt === null ? null : Math.max(0, Math.ceil((props.retryAt - now) / 1000));
  return (
    <div className="banner offline">
      <span role="status">
        {props.connection === 'offline' ? 'You are offline.' : 'Reconnecting…'} Messages you write now are
        sent as soon as the connection is back.
      </span>
      {/* A ticking countdown is for the eye only: announced every second it would drown everything else. */}
      {seconds !== null && seconds > 0 && <span aria-hidden="true">Trying again in {seconds} s.</span>}
      <button type="button" className="link" onClick={props.onRetry}>
        Retry now
      </button>
    </div>
  );
}
