import { useSyncExternalStore } from 'react';
import { type ChatAction, type ChatState, chatReducer } from './chat.js';

/** The chat state behind the React tree: a reducer fed by the realtime client and the UI. */
export class ChatStore {
  #state: ChatState;
  readonly #listeners = new Set<() => void>();

  constructor(initial: ChatState) {
    this.#state = initial;
  }

  getState = (): ChatState => this.#state;

  subscribe = (listener: () => void): (() => void) => {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  };

  dispatch = (action: ChatAction): void => {
    const next = chatReducer(this.#state, action);
    if (next === this.#state) return;
    this.#state = next;
    for (const listener of this.#listeners) listener();
  };
}

/** Subscribes a component to a slice of the chat state (re-renders only when the slice changes). */
export function useChat<T>(store: ChatStore, select: (state: ChatState) => T): T {
  return useSyncExternalStore(store.subscribe, () => select(store.getState()));
}
