import { Fragment, useCallback, useEffect, useLayoutEffect, useMemo, useRef, useState } from 'react';
import { useServices } from '../app/services.js';
import { buildTimeline, timeLabel } from '../lib/dates.js';
import { splitLinks } from '../lib/links.js';
import { deriveStatus, statusText } from '../lib/status.js';
import {
  type ChatMessage,
  type ConversationView,
  latestSeq,
  myReadSeq,
  visibleMessages,
} from '../state/chat.js';
import { useChat } from '../state/store.js';
import { Icon, StatusMark } from './common.js';
import { usePageVisible } from './hooks.js';

/** Within this many pixels of the end counts as "at the bottom" (new messages keep it there). */
const BOTTOM_SLACK = 48;
/** Start loading older messages this far from the top, so they are there before the reader is. */
const PREFETCH_PX = 600;

interface Anchor {
  key: string;
  offset: number;
}

/**
 * The message list. Scrolling keeps what the reader looks at in place: older
 * pages are prepended above without moving the view (the first visible row is
 * the anchor, re-aligned after each change), new messages keep the view at the
 * bottom only if it was there, and otherwise a "new messages" button counts them.
 */
export function Timeline({ conversation }: { conversation: ConversationView }) {
  const { store, chat, me } = useServices();
  const thread = useChat(store, (s) => s.threads[conversation.id]);
  const users = useChat(store, (s) => s.users);
  const pageVisible = usePageVisible();
  const messages = useMemo(() => visibleMessages(thread), [thread]);
  const rows = useMemo(() => buildTimeline(messages, (m) => m.clientMsgId, new Date()), [messages]);
  // Where "New messages" goes: after what I had read when I opened the chat (kept while it stays open).
  // Messages that arrive while the chat is open are read as they come: no line for them.
  const [unreadWhenOpened] = useState(() => ({
    after: myReadSeq(store.getState(), conversation.id),
    upTo: latestSeq(store.getState(), conversation.id),
  }));
  const firstUnread = useMemo(
    () =>
      messages.find(
        (m) =>
          m.seq !== undefined &&
          m.seq > unreadWhenOpened.after &&
          m.seq <= unreadWhenOpened.upTo &&
          m.senderId !== me.userId,
      )?.clientMsgId,
    [messages, unreadWhenOpened, me.userId],
  );
  const scroller = useRef<HTMLElement>(null);
  const atBottom = useRef(true);
  const anchor = useRef<Anchor | null>(null);
  const lastKey = useRef<string | undefined>(undefined);
  const loadingOlder = useRef(false);
  const [unseen, setUnseen] = useState(0);
  const [showJump, setShowJump] = useState(false);
  const isGroup = conversation.kind === 'group';
  const loaded = thread?.loaded ?? false;
  const hasMoreBefore = thread?.hasMoreBefore ?? true;
  const conversationId = conversation.id;

  const recordAnchor = useCallback(() => {
    const el = scroller.current;
    if (!el) return;
    const top = el.getBoundingClientRect().top;
    for (const node of el.querySelectorAll<HTMLElement>('[data-key]')) {
      const rect = node.getBoundingClientRect();
      if (rect.bottom > top) {
        anchor.current = { key: node.dataset.key!, offset: rect.top - top };
        return;
      }
    }
    anchor.current = null;
  }, []);

  const markReadIfSeen = useCallback(() => {
    if (atBottom.current && document.visibilityState === 'visible') chat.markRead(conversationId);
  }, [chat, conversationId]);

  const maybeLoadOlder = useCallback(() => {
    const el = scroller.current;
    if (!el || loadingOlder.current || !loaded || !hasMoreBefore) return;
    if (el.scrollTop > PREFETCH_PX) return;
    loadingOlder.current = true;
    chat
      .loadOlder(conversationId)
      .catch((error: unknown) => console.warn('[im] loading older messages failed', error))
      .finally(() => {
        loadingOlder.current = false;
      });
  }, [chat, conversationId, loaded, hasMoreBefore]);

  // After every change of the rows (and of the history edge above them): stick to the
  // bottom, or keep the anchor row where it was.
  // biome-ignore lint/correctness/useExhaustiveDependencies: hasMoreBefore changes the height above the rows
  useLayoutEffect(() => {
    const el = scroller.current;
    if (!el) return;
    const last = messages.at(-1);
    const appended = last !== undefined && last.clientMsgId !== lastKey.current;
    const first = lastKey.current === undefined;
    if (atBottom.current || first || (appended && last.senderId === me.userId)) {
      el.scrollTop = el.scrollHeight;
      atBottom.current = true;
      setUnseen(0);
    } else {
      const a = anchor.current;
      const node = a && el.querySelector<HTMLElement>(`[data-key="${CSS.escape(a.key)}"]`);
      if (a && node)
        el.scrollTop += node.getBoundingClientRect().top - el.getBoundingClientRect().top - a.offset;
      if (appended && last.senderId !== me.userId) setUnseen((n) => n + 1);
    }
    if (last) lastKey.current = last.clientMsgId;
    recordAnchor();
    setShowJump(!atBottom.current);
  }, [messages, hasMoreBefore, me.userId, recordAnchor]);

  // Keep loading older pages while the top is near (a first page may not fill the screen).
  // biome-ignore lint/correctness/useExhaustiveDependencies: check again after every page of messages
  useEffect(() => {
    maybeLoadOlder();
  }, [maybeLoadOlder, messages]);

  // biome-ignore lint/correctness/useExhaustiveDependencies: new messages on screen are read
  useEffect(() => {
    if (pageVisible) markReadIfSeen();
  }, [pageVisible, messages, markReadIfSeen]);

  function onScroll() {
    const el = scroller.current;
    if (!el) return;
    const bottom = el.scrollHeight - el.scrollTop - el.clientHeight <= BOTTOM_SLACK;
    atBottom.current = bottom;
    setShowJump(!bottom);
    if (bottom) {
      setUnseen(0);
      markReadIfSeen();
    }
    recordAnchor();
    maybeLoadOlder();
  }

  function jumpToLatest() {
    const el = scroller.current;
    if (!el) return;
    el.scrollTo({ top: el.scrollHeight, behavior: 'smooth' });
  }

  const now = new Date();
  return (
    <div className="timeline-wrap">
      <section
        className="timeline"
        ref={scroller}
        onScroll={onScroll}
        // A scrollable region must be reachable by keyboard to scroll it with the arrow keys.
        // biome-ignore lint/a11y/noNoninteractiveTabindex: see above (axe: scrollable-region-focusable)
        tabIndex={0}
        aria-label="Messages"
      >
        <div className="history-edge" aria-live="polite">
          {!loaded
            ? 'Loading messages…'
            : hasMoreBefore
              ? 'Loading earlier messages…'
              : messages.length === 0
                ? 'No messages yet. Say hello — it is end-to-end encrypted.'
                : 'This is the beginning of the conversation. Messages are end-to-end encrypted.'}
        </div>
        <ol className="messages">
          {rows.map((row) =>
            row.kind === 'day' ? (
              <li key={row.key} className="day-separator" data-key={row.key}>
                <span className="day-label">{row.label}</span>
              </li>
            ) : (
              <Fragment key={row.key}>
                {row.key === firstUnread && (
                  <li className="unread-separator" data-key="unread-separator">
                    <span>New messages</span>
                  </li>
                )}
                <MessageRow
                  message={row.message}
                  mine={row.message.senderId === me.userId}
                  startsGroup={row.startsGroup}
                  endsGroup={row.endsGroup}
                  isGroup={isGroup}
                  senderName={users[row.message.senderId]?.username ?? '…'}
                  conversation={conversation}
                  me={me.userId}
                  now={now}
                />
              </Fragment>
            ),
          )}
        </ol>
      </section>
      {showJump && (
        <button
          type="button"
          className="jump"
          onClick={jumpToLatest}
          aria-label="Jump to the latest messages"
        >
          {unseen > 0 && <span className="badge">{unseen}</span>}
          <Icon name="down" />
        </button>
      )}
    </div>
  );
}

function MessageRow(props: {
  message: ChatMessage;
  mine: boolean;
  startsGroup: boolean;
  endsGroup: boolean;
  isGroup: boolean;
  senderName: string;
  conversation: ConversationView;
  me: string;
  now: Date;
}) {
  const { chat } = useServices();
  const { message, mine } = props;
  const at = new Date(message.createdAt);
  const summary = mine
    ? deriveStatus(
        { seq: message.seq, createdAt: message.createdAt, failed: message.failure !== undefined },
        props.conversation.members,
        props.me,
      )
    : null;
  const classes = [
    'message',
    mine ? 'mine' : 'theirs',
    props.startsGroup ? 'start' : '',
    props.endsGroup ? 'end' : '',
  ]
    .filter(Boolean)
    .join(' ');
  return (
    <li
      className={classes}
      data-key={message.clientMsgId}
      data-seq={message.seq}
      data-status={summary?.status}
    >
      {props.isGroup && !mine && props.startsGroup && <span className="sender">{props.senderName}</span>}
      <div className={`bubble ${message.body.kind === 'unreadable' ? 'unreadable' : ''}`}>
        {!mine && <span className="sr-only">{props.senderName}: </span>}
        <p className="text">
          {message.body.kind === 'text' ? <RichText text={message.body.text} /> : `🔒 ${message.body.reason}`}
        </p>
        <span className="meta">
          <time dateTime={message.createdAt} title={at.toLocaleString()}>
            {timeLabel(at)}
          </time>
          {summary && (
            <>
              {props.isGroup && summary.read > 0 && summary.status !== 'read' && (
                <span className="read-count" aria-hidden="true">
                  {summary.read}/{summary.recipients}
                </span>
              )}
              <StatusMark status={summary.status} label={statusText(summary, props.isGroup)} />
            </>
          )}
        </span>
      </div>
      {message.failure && (
        <div className="failed-row" role="alert">
          Not sent: {message.failure.message}.{' '}
          <button
            type="button"
            className="link"
            onClick={() => chat.retry(message.conversationId, message.clientMsgId)}
          >
            Retry
          </button>{' '}
          <button
            type="button"
            className="link"
            onClick={() => chat.discard(message.conversationId, message.clientMsgId)}
          >
            Delete
          </button>
        </div>
      )}
    </li>
  );
}

/** Message text with its web links clickable (http and https only; they open in a new tab, without referrer). */
function RichText({ text }: { text: string }) {
  const parts = useMemo(() => splitLinks(text), [text]);
  return parts.map((part, i) =>
    part.kind === 'link' ? (
      // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one immutable text
      <a key={i} href={part.href} target="_blank" rel="noopener noreferrer nofollow">
        {part.text}
      </a>
    ) : (
      // biome-ignore lint/suspicious/noArrayIndexKey: the parts of one immutable text
      <Fragment key={i}>{part.text}</Fragment>
    ),
  );
}
