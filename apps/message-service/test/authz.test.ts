import { randomUUID } from 'node:crypto';
import type { InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness, type TestUser } from './support/harness.js';

let h: Harness;
let owner: TestUser;
let member: TestUser;
let stranger: TestUser;
let conversationId: string;

beforeAll(async () => {
  h = await startHarness();
  [owner, member, stranger] = [await h.user(), await h.user(), await h.user()];
  const res = await owner.request({
    method: 'POST',
    url: '/v1/conversations/groups',
    payload: { title: 'private', memberIds: [member.id] },
  });
  conversationId = res.json().id;
});
afterAll(() => h?.close());

/** Every conversation-scoped request, for a conversation id. */
function scoped(id: string, victim: string): InjectOptions[] {
  return [
    { method: 'GET', url: `/v1/conversations/${id}` },
    { method: 'PATCH', url: `/v1/conversations/${id}`, payload: { title: 'mine now' } },
    { method: 'GET', url: `/v1/conversations/${id}/members` },
    { method: 'POST', url: `/v1/conversations/${id}/members`, payload: { userIds: [randomUUID()] } },
    { method: 'DELETE', url: `/v1/conversations/${id}/members/${victim}` },
    { method: 'POST', url: `/v1/conversations/${id}/leave` },
    { method: 'GET', url: `/v1/conversations/${id}/messages` },
    { method: 'GET', url: `/v1/conversations/${id}/messages?after=0` },
  ];
}

describe('authorization', () => {
  it('refuses a non-member everything, exactly as if the conversation did not exist', async () => {
    for (const [existing, missing] of zip(
      scoped(conversationId, member.id),
      scoped(randomUUID(), member.id),
    )) {
      const [a, b] = [await stranger.request(existing), await stranger.request(missing)];
      expect([a.statusCode, a.json()], `${existing.method} ${existing.url}`).toEqual([
        404,
        { error: { code: 'MSG_CONVERSATION_NOT_FOUND', message: 'No such conversation' } },
      ]);
      expect(b.json()).toEqual(a.json());
    }
    // Nothing changed.
    const view = (await owner.request({ method: 'GET', url: `/v1/conversations/${conversationId}` })).json();
    expect(view.title).toBe('private');
    expect(view.members.map((m: { userId: string }) => m.userId).sort()).toEqual(
      [owner.id, member.id].sort(),
    );
    const list = (await stranger.request({ method: 'GET', url: '/v1/conversations' })).json();
    expect(list).toEqual({ conversations: [] });
  });

  it('refuses requests without a valid bearer token', async () => {
    const url = `/v1/conversations/${conversationId}`;
    const cases: Array<[Record<string, string>, string]> = [
      [{}, 'AUTH_TOKEN_MISSING'],
      [{ authorization: 'Basic dXNlcjpwYXNz' }, 'AUTH_TOKEN_INVALID'],
      [{ authorization: 'Bearer not-a-jwt' }, 'AUTH_TOKEN_INVALID'],
      [{ authorization: `Bearer ${await h.tokens.foreignToken(owner.id)}` }, 'AUTH_TOKEN_INVALID'],
    ];
    for (const [headers, code] of cases) {
      const res = await h.app.inject({ method: 'GET', url, headers });
      expect([res.statusCode, res.json().error.code]).toEqual([401, code]);
    }
  });
});

describe('bad input gets typed errors', () => {
  it('malformed JSON, wrong media type, oversized body, bad ids and bad queries', async () => {
    const malformed = await owner.request({
      method: 'POST',
      url: '/v1/conversations/groups',
      headers: { 'content-type': 'application/json' },
      payload: '{"title": "x", ',
    });
    expect([malformed.statusCode, malformed.json().error.code]).toEqual([400, 'VALIDATION_FAILED']);

    const text = await owner.request({
      method: 'POST',
      url: '/v1/conversations/groups',
      headers: { 'content-type': 'text/plain' },
      payload: 'hello',
    });
    expect([text.statusCode, text.json().error.code]).toEqual([415, 'UNSUPPORTED_MEDIA_TYPE']);

    const huge = await owner.request({
      method: 'POST',
      url: '/v1/conversations/groups',
      payload: { title: 'x', memberIds: [], padding: 'x'.repeat(70 * 1024) },
    });
    expect([huge.statusCode, huge.json().error.code]).toEqual([413, 'BODY_TOO_LARGE']);

    const invalid: InjectOptions[] = [
      { method: 'GET', url: '/v1/conversations/not-a-uuid' },
      { method: 'DELETE', url: `/v1/conversations/${conversationId}/members/123` },
      { method: 'POST', url: '/v1/conversations/direct', payload: { userId: 'bob' } },
      { method: 'POST', url: '/v1/conversations/groups', payload: { title: '', memberIds: [] } },
      { method: 'POST', url: '/v1/conversations/groups', payload: { title: 'x'.repeat(101) } },
      { method: 'POST', url: `/v1/conversations/${conversationId}/members`, payload: { userIds: [] } },
      { method: 'PATCH', url: `/v1/conversations/${conversationId}`, payload: { title: 42 } },
      { method: 'GET', url: `/v1/conversations/${conversationId}/messages?before=5&after=1` },
      { method: 'GET', url: `/v1/conversations/${conversationId}/messages?limit=1000` },
      { method: 'GET', url: `/v1/conversations/${conversationId}/messages?after=-1` },
      { method: 'GET', url: '/v1/presence?userIds=nope' },
      { method: 'GET', url: '/v1/presence' },
    ];
    for (const request of invalid) {
      const res = await owner.request(request);
      expect([res.statusCode, res.json().error.code], `${request.method} ${request.url}`).toEqual([
        400,
        'VALIDATION_FAILED',
      ]);
    }
    const unknownRoute = await owner.request({ method: 'GET', url: '/v1/conversationz' });
    expect([unknownRoute.statusCode, unknownRoute.json().error.code]).toEqual([404, 'NOT_FOUND']);
  });
});

function zip<A, B>(a: readonly A[], b: readonly B[]): Array<[A, B]> {
  return a.map((x, i) => [x, b[i] as B]);
}
