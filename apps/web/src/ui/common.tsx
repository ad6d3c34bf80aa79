import { type ReactNode, useEffect, useId, useRef } from 'react';
import type { MessageStatus } from '../lib/status.js';

/** A stable hue per id, so a person keeps their colour everywhere. */
function hue(id: string): number {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (h * 31 + id.charCodeAt(i)) % 360;
  return h;
}

export function Avatar(props: {
  id: string;
  name: string;
  online?: boolean | undefined;
  size?: 'sm' | 'md';
}) {
  const initials = props.name
    .split(/[\s._-]+/)
    .filter(Boolean)
    .slice(0, 2)
    .map((part) => part[0]?.toUpperCase())
    .join('');
  return (
    <span
      className={`avatar ${props.size ?? 'md'}`}
      style={{ '--avatar-hue': hue(props.id) } as React.CSSProperties}
      aria-hidden="true"
    >
      {initials || '?'}
      {props.online !== undefined && (
        <span className={`presence-dot ${props.online ? 'online' : 'offline'}`} />
      )}
    </span>
  );
}

const STATUS_LABEL: Record<MessageStatus, string> = {
  pending: 'Sending',
  failed: 'Not sent',
  sent: 'Sent',
  delivered: 'Delivered',
  read: 'Read',
};

/** The tick marks of my messages: clock (pending), ✓ sent, ✓✓ delivered, blue ✓✓ read, ! failed. */
export function StatusMark({ status, label }: { status: MessageStatus; label?: string }) {
  const text = label ?? STATUS_LABEL[status];
  return (
    <span className={`status-mark ${status}`} title={text} data-status={status}>
      <span className="sr-only">{text}</span>
      <svg viewBox="0 0 18 12" width="18" height="12" aria-hidden="true">
        {status === 'pending' && (
          <g fill="none" stroke="currentColor" strokeWidth="1.4">
            <circle cx="9" cy="6" r="4.6" />
            <path d="M9 3.4V6l1.8 1.2" />
          </g>
        )}
        {status === 'failed' && (
          <g fill="currentColor">
            <circle cx="9" cy="6" r="5.2" />
            <path d="M8.3 2.8h1.4v4H8.3zM8.3 7.8h1.4v1.4H8.3z" fill="var(--bubble-mine)" />
          </g>
        )}
        {status === 'sent' && (
          <path d="M2.5 6.5l3 3 6.5-7" fill="none" stroke="currentColor" strokeWidth="1.6" />
        )}
        {(status === 'delivered' || status === 'read') && (
          <g fill="none" stroke="currentColor" strokeWidth="1.6">
            <path d="M1 6.5l3 3 6.5-7" />
            <path d="M7 8.5l1 1 6.5-7" />
          </g>
        )}
      </svg>
    </span>
  );
}

/**
 * A modal dialog on the native <dialog>: focus moves in and is trapped, Escape
 * closes it, focus returns to where it was.
 */
export function Dialog(props: { title: string; onClose: () => void; children: ReactNode; wide?: boolean }) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onClose = useRef(props.onClose);
  onClose.current = props.onClose;
  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement as HTMLElement | null;
    dialog.showModal();
    // A `close` queued by an earlier close() (React's dev double-mount) must not close the reopened dialog.
    const handleClose = () => {
      if (!dialog.open) onClose.current();
    };
    dialog.addEventListener('close', handleClose);
    return () => {
      dialog.removeEventListener('close', handleClose);
      if (dialog.open) dialog.close();
      opener?.focus?.();
    };
  }, []);
  return (
    // Escape closes the dialog from the keyboard; the click handler only adds closing by the backdrop.
    // biome-ignore lint/a11y/useKeyWithClickEvents: see above
    <dialog
      ref={ref}
      className={`dialog ${props.wide ? 'wide' : ''}`}
      aria-labelledby={titleId}
      onClick={(event) => {
        // A click on the backdrop (the dialog element itself, outside its box) closes it.
        if (event.target === ref.current) ref.current?.close();
      }}
    >
      <div className="dialog-body">
        <header className="dialog-header">
          <h2 id={titleId}>{props.title}</h2>
          <button
            type="button"
            className="icon-button"
            aria-label="Close"
            onClick={() => ref.current?.close()}
          >
            <Icon name="close" />
          </button>
        </header>
        {props.children}
      </div>
    </dialog>
  );
}

const ICONS = {
  close: 'M6 6l12 12M18 6L6 18',
  back: 'M15 5l-7 7 7 7',
  send: 'M4 12l16-8-6 16-2-7-8-1z',
  settings:
    'M12 15.5a3.5 3.5 0 100-7 3.5 3.5 0 000 7zM19.4 13a7.6 7.6 0 000-2l2-1.6-2-3.4-2.4 1a7.4 7.4 0 00-1.7-1L15 3.5h-4l-.4 2.5a7.4 7.4 0 00-1.7 1l-2.4-1-2 3.4L6.6 11a7.6 7.6 0 000 2l-2 1.6 2 3.4 2.4-1c.5.4 1.1.8 1.7 1l.4 2.5h4l.4-2.5c.6-.2 1.2-.6 1.7-1l2.4 1 2-3.4z',
  group: 'M9 11a3 3 0 100-6 3 3 0 000 6zM3 19c0-3 2.7-5 6-5s6 2 6 5M16 11a3 3 0 100-6M17 14c2.5.4 4 2.2 4 5',
  info: 'M12 21a9 9 0 100-18 9 9 0 000 18zM12 11v6M12 7.5v.5',
  search: 'M11 18a7 7 0 100-14 7 7 0 000 14zM20 20l-4-4',
  shield: 'M12 3l8 3v6c0 4.5-3.4 8.2-8 9-4.6-.8-8-4.5-8-9V6z',
  down: 'M6 9l6 6 6-6',
  warning: 'M12 4l9 16H3zM12 10v4M12 17v.5',
} as const;

export function Icon({ name }: { name: keyof typeof ICONS }) {
  return (
    <svg viewBox="0 0 24 24" width="20" height="20" aria-hidden="true" className="icon">
      <path
        d={ICONS[name]}
        fill="none"
        stroke="currentColor"
        strokeWidth="1.8"
        strokeLinecap="round"
        strokeLinejoin="round"
      />
    </svg>
  );
}
