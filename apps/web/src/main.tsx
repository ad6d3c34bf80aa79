import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { Api } from './api/api.js';
import { SessionManager } from './session/session.js';
import { App } from './ui/App.js';
import './styles.css';

const session = new SessionManager();
const api = new Api(session);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App api={api} session={session} />
  </StrictMode>,
);
