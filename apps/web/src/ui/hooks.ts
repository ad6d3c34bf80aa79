import { useEffect, useState, useSyncExternalStore } from 'react';

/** The hash route: `#/c/<conversationId>` selects a conversation. */
export interface Route {
  conversationId: string | null;
}

function parseHash(hash: string): Route {
  const match = /^#\/c\/([0-9a-f-]{36})$/i.exec(hash);
  return { conversationId: match?.[1] ?? null };
}

function subscribeHash(callback: () => void): () => void {
  window.addEventListener('hashchange', callback);
  return () => window.removeEventListener('hashchange', callback);
}

export function useRoute(): Route {
  const hash = useSyncExternalStore(subscribeHash, () => window.location.hash);
  return parseHash(hash);
}

export function navigate(conversationId: string | null): void {
  const next = conversationId ? `#/c/${conversationId}` : '#/';
  if (window.location.hash !== next) window.location.hash = next;
}

/** The current time, refreshed every `intervalMs` (for "last seen", day labels, typing expiry). */
export function useNow(intervalMs: number): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [intervalMs]);
  return now;
}

function subscribeVisibility(callback: () => void): () => void {
  document.addEventListener('visibilitychange', callback);
  window.addEventListener('focus', callback);
  window.addEventListener('blur', callback);
  return () => {
    document.removeEventListener('visibilitychange', callback);
    window.removeEventListener('focus', callback);
    window.removeEventListener('blur', callback);
  };
}

/** Whether the person can see the page (the tab is shown). */
export function usePageVisible(): boolean {
  return useSyncExternalStore(subscribeVisibility, () => document.visibilityState === 'visible');
}
