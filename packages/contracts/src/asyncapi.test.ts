import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { renderAsyncApi } from './asyncapi.js';
import { BrokerCatalog, MessageNames } from './catalog.js';
import { ASYNCAPI_PATH, CONTRACTS_VERSION } from './docs-paths.js';

describe('AsyncAPI document', () => {
  it('is committed and up to date (run `pnpm --filter @im/contracts docs` after changing a contract)', () => {
    const committed = readFileSync(ASYNCAPI_PATH, 'utf8');
    expect(committed).toBe(renderAsyncApi(CONTRACTS_VERSION));
  });

  it('documents every catalog message with its payload schema', () => {
    const doc = parse(renderAsyncApi(CONTRACTS_VERSION));
    expect(doc.asyncapi).toBe('3.0.0');
    const names = Object.values(doc.components.messages).map((m) => (m as { name: string }).name);
    expect(names.sort()).toEqual([...MessageNames].sort());
    const stored = doc.components.messages.messageStoredV1.payload.properties.data;
    expect(stored.required).toEqual(expect.arrayContaining(['message', 'memberIds']));
    expect(Object.keys(BrokerCatalog)).toContain('message.stored.v1');
  });
});
