/** A minimal promise wrapper over IndexedDB: one database, a few key-value object stores. */

const DB_NAME = 'im-web';
const DB_VERSION = 2;
export const STORES = ['device', 'identities', 'contacts', 'outbox'] as const;
export type StoreName = (typeof STORES)[number];

let opening: Promise<IDBDatabase> | undefined;

function database(): Promise<IDBDatabase> {
  opening ??= new Promise<IDBDatabase>((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      for (const name of STORES) {
        if (!request.result.objectStoreNames.contains(name)) request.result.createObjectStore(name);
      }
    };
    request.onsuccess = () => {
      const db = request.result;
      // Another tab upgrading the schema: let it, and reopen on next use.
      db.onversionchange = () => {
        db.close();
        opening = undefined;
      };
      resolve(db);
    };
    request.onerror = () => reject(request.error ?? new Error('IndexedDB could not be opened'));
    request.onblocked = () => reject(new Error('IndexedDB is blocked by another tab; close it and reload'));
  });
  opening.catch(() => {
    opening = undefined;
  });
  return opening;
}

function run<T>(
  store: StoreName,
  mode: IDBTransactionMode,
  action: (s: IDBObjectStore) => IDBRequest,
): Promise<T> {
  return database().then(
    (db) =>
      new Promise<T>((resolve, reject) => {
        const tx = db.transaction(store, mode);
        const request = action(tx.objectStore(store));
        tx.oncomplete = () => resolve(request.result as T);
        tx.onerror = () =>
          reject(tx.error ?? request.error ?? new Error(`IndexedDB ${mode} on ${store} failed`));
        tx.onabort = () => reject(tx.error ?? new Error(`IndexedDB ${mode} on ${store} aborted`));
      }),
  );
}

export function idbGet<T>(store: StoreName, key: string): Promise<T | undefined> {
  return run<T | undefined>(store, 'readonly', (s) => s.get(key));
}

export function idbPut(store: StoreName, key: string, value: unknown): Promise<void> {
  return run<IDBValidKey>(store, 'readwrite', (s) => s.put(value, key)).then(() => undefined);
}

export function idbDelete(store: StoreName, key: string): Promise<void> {
  return run<undefined>(store, 'readwrite', (s) => s.delete(key));
}

/** Every value whose key starts with `prefix`. */
export function idbPrefix<T>(store: StoreName, prefix: string): Promise<T[]> {
  return run<T[]>(store, 'readonly', (s) => s.getAll(IDBKeyRange.bound(prefix, `${prefix}\uffff`)));
}

/** Removes every key starting with `prefix`. */
export function idbDeletePrefix(store: StoreName, prefix: string): Promise<void> {
  return run<undefined>(store, 'readwrite', (s) => s.delete(IDBKeyRange.bound(prefix, `${prefix}\uffff`)));
}
