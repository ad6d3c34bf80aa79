import type { IdentityKeys } from '@im/crypto';
import { useEffect, useState } from 'react';
import type { Api } from '../api/api.js';
import { type Services, ServicesContext, useServices } from '../app/services.js';
import { E2ee } from '../keys/e2ee.js';
import { forgetUser } from '../keys/keystore.js';
import { ChatController, type Notice } from '../realtime/controller.js';
import type { SessionManager, StoredSession } from '../session/session.js';
import { conversationTitle, initialChatState } from '../state/chat.js';
import { ChatStore, useChat } from '../state/store.js';
import { ChatView } from './ChatView.js';
import { navigate, useRoute } from './hooks.js';
import { Sidebar } from './Sidebar.js';

/** The signed-in app: conversation list and chat, with the services they share. */
export function Messenger(props: {
  api: Api;
  session: SessionManager;
  me: StoredSession;
  keyring: IdentityKeys[];
  onSigningOut: () => void;
}) {
  // One set of services per signed-in user (the Messenger is keyed by user id), made once.
  const [services] = useState<Services>(() => {
    const e2ee = new E2ee(props.api, props.me.userId, props.keyring);
    const store = new ChatStore(initialChatState(props.me.userId));
    store.dispatch({ type: 'users', users: [{ id: props.me.userId, username: props.me.username }] });
    const chat = new ChatController({ api: props.api, e2ee, store, session: props.session });
    return {
      api: props.api,
      session: props.session,
      me: props.me,
      e2ee,
      store,
      chat,
      signOut: async () => {
        props.onSigningOut();
        await chat.stop();
        try {
          await props.api.logout();
        } catch (error) {
          // Offline or already revoked: the local sign-out below still happens; the session expires on its own.
          console.warn('[im] logout request failed', error);
        }
        await forgetUser(props.me.userId);
        navigate(null);
        props.session.clear();
      },
    };
  });

  useEffect(() => {
    services.chat.start();
    return () => {
      void services.chat.stop();
    };
  }, [services]);

  return (
    <ServicesContext.Provider value={services}>
      <Shell />
    </ServicesContext.Provider>
  );
}

function Shell() {
  const { store, chat } = useServices();
  const { conversationId } = useRoute();
  const conversations = useChat(store, (s) => s.conversations);
  const loaded = useChat(store, (s) => s.conversationsLoaded);
  const [announcement, setAnnouncement] = useState('');
  const [notices, setNotices] = useState<Notice[]>([]);

  // A route to a conversation I am not (or no longer) in goes back to the list.
  useEffect(() => {
    if (conversationId && loaded && !conversations[conversationId]) navigate(null);
  }, [conversationId, loaded, conversations]);

  // Typing indicators lapse without a `stop` (a peer that went away).
  useEffect(() => {
    const timer = setInterval(() => store.dispatch({ type: 'typing/expire', now: Date.now() }), 1_000);
    return () => clearInterval(timer);
  }, [store]);

  // The tab title counts unread messages.
  useEffect(() => {
    const unread = Object.values(conversations).reduce((sum, c) => sum + c.unreadCount, 0);
    document.title = unread > 0 ? `(${unread}) Cipher Chat` : 'Cipher Chat';
  }, [conversations]);

  // Screen readers hear each new message from someone else.
  useEffect(() => {
    let previous = store.getState();
    return store.subscribe(() => {
      const state = store.getState();
      for (const c of Object.values(state.conversations)) {
        const before = previous.conversations[c.id]?.lastMessage;
        const last = c.lastMessage;
        if (!last || last === before || last.senderId === state.me || last.seq === undefined) continue;
        if (before?.seq !== undefined && before.seq >= last.seq) continue;
        const who = state.users[last.senderId]?.username ?? 'someone';
        const text = last.body.kind === 'text' ? last.body.text : 'an unreadable message';
        const where = c.kind === 'group' ? ` in ${conversationTitle(c, state)}` : '';
        setAnnouncement(`New message from ${who}${where}: ${text}`);
      }
      previous = state;
    });
  }, [store]);

  useEffect(
    () =>
      chat.onNotice((notice) => {
        setNotices((list) => [...list.slice(-2), notice]);
        setTimeout(() => setNotices((list) => list.filter((n) => n.id !== notice.id)), 8_000);
      }),
    [chat],
  );

  const selected = conversationId && conversations[conversationId] ? conversationId : null;
  return (
    <div className="app" data-view={selected ? 'chat' : 'list'}>
      <Sidebar selectedId={selected} />
      <main className="pane" aria-label="Conversation">
        {selected ? (
          <ChatView key={selected} conversationId={selected} />
        ) : (
          <div className="empty-pane">
            <div className="empty-mark" aria-hidden="true">
              ◆
            </div>
            <p>Pick a conversation, or search for someone to start one.</p>
            <p className="muted small">
              Messages are end-to-end encrypted: only the people in a chat can read them.
            </p>
          </div>
        )}
      </main>
      <div className="sr-only" aria-live="polite" aria-atomic="true">
        {announcement}
      </div>
      {notices.length > 0 && (
        <div className="toasts" role="status">
          {notices.map((n) => (
            <div key={n.id} className={`toast ${n.tone}`}>
              {n.text}
            </div>
          ))}
        </div>
      )}
    </div>
  );
}
