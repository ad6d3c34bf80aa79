import { createContext, useContext } from 'react';
import type { Api } from '../api/api.js';
import type { E2ee } from '../keys/e2ee.js';
import type { ChatController } from '../realtime/controller.js';
import type { SessionManager, StoredSession } from '../session/session.js';
import type { ChatStore } from '../state/store.js';

/** Everything a signed-in screen needs, provided once by the messenger shell. */
export interface Services {
  readonly api: Api;
  readonly session: SessionManager;
  readonly me: StoredSession;
  readonly e2ee: E2ee;
  readonly store: ChatStore;
  readonly chat: ChatController;
  readonly signOut: () => Promise<void>;
}

export const ServicesContext = createContext<Services | null>(null);

export function useServices(): Services {
  const services = useContext(ServicesContext);
  if (!services) throw new Error('useServices outside the messenger');
  return services;
}
