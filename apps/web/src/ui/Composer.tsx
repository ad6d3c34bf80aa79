import { type FormEvent, type KeyboardEvent, useEffect, useRef, useState } from 'react';
import { useServices } from '../app/services.js';
import { Icon } from './common.js';

/** Resend `typing: start` at most this often while typing. */
const TYPING_REFRESH_MS = 3_000;
/** Say `stop` after this long without a keystroke. */
const TYPING_IDLE_MS = 4_000;
const MAX_LENGTH = 16_000;

/** Drafts survive switching chats (in memory, per conversation). */
const drafts = new Map<string, string>();

export function Composer({ conversationId, title }: { conversationId: string; title: string }) {
  const { chat } = useServices();
  const [text, setText] = useState(() => drafts.get(conversationId) ?? '');
  const input = useRef<HTMLTextAreaElement>(null);
  const lastTypingSent = useRef(0);
  const idleTimer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);

  useEffect(() => {
    input.current?.focus();
    return () => {
      clearTimeout(idleTimer.current);
      if (lastTypingSent.current > 0) chat.typing(conversationId, 'stop');
    };
  }, [chat, conversationId]);

  // Grow with the text up to a few lines.
  // biome-ignore lint/correctness/useExhaustiveDependencies: re-measure whenever the text changes
  useEffect(() => {
    const el = input.current;
    if (!el) return;
    el.style.height = 'auto';
    el.style.height = `${Math.min(el.scrollHeight, 160)}px`;
  }, [text]);

  function stopTyping() {
    clearTimeout(idleTimer.current);
    if (lastTypingSent.current > 0) {
      lastTypingSent.current = 0;
      chat.typing(conversationId, 'stop');
    }
  }

  function onChange(value: string) {
    setText(value);
    drafts.set(conversationId, value);
    if (!value.trim()) {
      stopTyping();
      return;
    }
    const now = Date.now();
    if (now - lastTypingSent.current > TYPING_REFRESH_MS) {
      lastTypingSent.current = now;
      chat.typing(conversationId, 'start');
    }
    clearTimeout(idleTimer.current);
    idleTimer.current = setTimeout(stopTyping, TYPING_IDLE_MS);
  }

  function send(event?: FormEvent) {
    event?.preventDefault();
    const body = text.trim();
    if (!body) return;
    stopTyping();
    chat.send(conversationId, body);
    setText('');
    drafts.delete(conversationId);
    input.current?.focus();
  }

  function onKeyDown(event: KeyboardEvent<HTMLTextAreaElement>) {
    // Enter sends, Shift+Enter breaks the line; an IME composition is left alone.
    if (event.key === 'Enter' && !event.shiftKey && !event.nativeEvent.isComposing) {
      event.preventDefault();
      send();
    }
  }

  return (
    <form className="composer" onSubmit={send}>
      <label htmlFor={`composer-${conversationId}`} className="sr-only">
        Message to {title}
      </label>
      <textarea
        id={`composer-${conversationId}`}
        ref={input}
        rows={1}
        maxLength={MAX_LENGTH}
        placeholder="Message"
        value={text}
        onChange={(e) => onChange(e.target.value)}
        onKeyDown={onKeyDown}
        onBlur={stopTyping}
        aria-describedby={`composer-hint-${conversationId}`}
      />
      <span id={`composer-hint-${conversationId}`} className="sr-only">
        Enter sends, Shift+Enter adds a line.
      </span>
      <button type="submit" className="send" aria-label="Send" disabled={!text.trim()}>
        <Icon name="send" />
      </button>
    </form>
  );
}
