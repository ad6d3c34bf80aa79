import { randomUUID } from 'node:crypto';
import type { Conversation } from '@im/contracts';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { storeMessages } from '../src/domain/send.js';
import { sendCommand } from './support/envelopes.js';
import { type Harness, type Probe, startHarness, type TestUser } from './support/harness.js';

let h: Harness;
let events: Probe;

beforeAll(async () => {
  h = await startHarness({ app: { maxGroupMembers: 4 } });
  h.worker({ components: ['relay'] }).start();
  events = await h.probe({ events: ['conversation.updated.v1'] });
});
afterAll(() => h?.close());

async function group(owner: TestUser, members: TestUser[], title = 'team'): Promise<Conversation> {
  const res = await owner.request({
    method: 'POST',
    url: '/v1/conversations/groups',
    payload: { title, memberIds: members.map((m) => m.id) },
  });
  expect(res.statusCode, res.body).toBe(201);
  return res.json();
}

async function send(conversationId: string, sender: TestUser, count = 1) {
  const commands = Array.from({ length: count }, () =>
    sendCommand({ conversationId, senderId: sender.id, senderDeviceId: sender.deviceId }),
  );
  return storeMessages(h.store, commands, { maxEnvelopeBytes: 65_536 });
}

function updatesOf(conversationId: string) {
  return events.of('conversation.updated.v1').filter((e) => e.data.conversationId === conversationId);
}

describe('direct conversations', () => {
  it('get-or-create: 201 the first time, 200 with the same conversation after, from either side', async () => {
    const [alice, bob] = [await h.user(), await h.user()];
    const first = await alice.request({
      method: 'POST',
      url: '/v1/conversations/direct',
      payload: { userId: bob.id },
    });
    expect(first.statusCode).toBe(201);
    const conversation: Conversation = first.json();
    expect(conversation).toMatchObject({
      kind: 'direct',
      title: null,
      lastSeq: 0,
      lastMessage: null,
      unreadCount: 0,
    });
    expect(conversation.members.map((m) => m.userId).sort()).toEqual([alice.id, bob.id].sort());

    const again = await alice.request({
      method: 'POST',
      url: '/v1/conversations/direct',
      payload: { userId: bob.id },
    });
    const reverse = await bob.request({
      method: 'POST',
      url: '/v1/conversations/direct',
      payload: { userId: alice.id },
    });
    expect([again.statusCode, reverse.statusCode]).toEqual([200, 200]);
    expect([again.json().id, reverse.json().id]).toEqual([conversation.id, conversation.id]);

    await vi.waitFor(() => expect(updatesOf(conversation.id)).toHaveLength(1));
    expect(updatesOf(conversation.id)[0]?.data).toMatchObject({ change: 'created', actorId: alice.id });
  });

  it('creates one conversation when both users open it at the same moment', async () => {
    const [alice, bob] = [await h.user(), await h.user()];
    const answers = await Promise.all(
      Array.from({ length: 6 }, (_, i) =>
        (i % 2 ? alice : bob).request({
          method: 'POST',
          url: '/v1/conversations/direct',
          payload: { userId: (i % 2 ? bob : alice).id },
        }),
      ),
    );
    expect(answers.filter((a) => a.statusCode === 201)).toHaveLength(1);
    expect(new Set(answers.map((a) => a.json().id)).size).toBe(1);
  });

  it('refuses a direct conversation with yourself, and group-only changes on a direct one', async () => {
    const [alice, bob] = [await h.user(), await h.user()];
    const self = await alice.request({
      method: 'POST',
      url: '/v1/conversations/direct',
      payload: { userId: alice.id },
    });
    expect(self.json().error.code).toBe('VALIDATION_FAILED');
    const direct = (
      await alice.request({ method: 'POST', url: '/v1/conversations/direct', payload: { userId: bob.id } })
    ).json();
    const carol = await h.user();
    const refusals = await Promise.all([
      alice.request({ method: 'PATCH', url: `/v1/conversations/${direct.id}`, payload: { title: 'x' } }),
      alice.request({
        method: 'POST',
        url: `/v1/conversations/${direct.id}/members`,
        payload: { userIds: [carol.id] },
      }),
      alice.request({ method: 'DELETE', url: `/v1/conversations/${direct.id}/members/${bob.id}` }),
      alice.request({ method: 'POST', url: `/v1/conversations/${direct.id}/leave` }),
    ]);
    for (const res of refusals) {
      expect(res.statusCode).toBe(409);
      expect(res.json().error.code).toBe('MSG_NOT_GROUP');
    }
  });
});

describe('groups', () => {
  it('creates a group with its creator as owner, deduplicating members', async () => {
    const [owner, a, b] = [await h.user(), await h.user(), await h.user()];
    const res = await owner.request({
      method: 'POST',
      url: '/v1/conversations/groups',
      payload: { title: '  Weekend  ', memberIds: [a.id, b.id, a.id, owner.id] },
    });
    expect(res.statusCode).toBe(201);
    const conversation: Conversation = res.json();
    expect(conversation.title).toBe('Weekend');
    expect(conversation.members).toHaveLength(3);
    expect(conversation.members.find((m) => m.userId === owner.id)?.role).toBe('owner');
    await vi.waitFor(() => expect(updatesOf(conversation.id)).toHaveLength(1));
    expect(new Set(updatesOf(conversation.id)[0]?.data.memberIds)).toEqual(new Set([owner.id, a.id, b.id]));
  });

  it('enforces the group size limit (creator included) on create and on add', async () => {
    const owner = await h.user();
    const others = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const tooBig = await owner.request({
      method: 'POST',
      url: '/v1/conversations/groups',
      payload: { title: 'big', memberIds: others },
    });
    expect(tooBig.statusCode).toBe(409);
    expect(tooBig.json().error.code).toBe('MSG_GROUP_FULL');

    const conversation = (
      await owner.request({
        method: 'POST',
        url: '/v1/conversations/groups',
        payload: { title: 'full', memberIds: others.slice(0, 3) },
      })
    ).json();
    const add = await owner.request({
      method: 'POST',
      url: `/v1/conversations/${conversation.id}/members`,
      payload: { userIds: [others[3]] },
    });
    expect(add.json().error.code).toBe('MSG_GROUP_FULL');
    // Adding someone already in it is not growth.
    const same = await owner.request({
      method: 'POST',
      url: `/v1/conversations/${conversation.id}/members`,
      payload: { userIds: [others[0]] },
    });
    expect(same.statusCode).toBe(200);
  });

  it('renames, adds and removes members, announcing each change', async () => {
    const [owner, a, b] = [await h.user(), await h.user(), await h.user()];
    const conversation = await group(owner, [a]);

    const renamed = await a.request({
      method: 'PATCH',
      url: `/v1/conversations/${conversation.id}`,
      payload: { title: 'new' },
    });
    expect(renamed.json().title).toBe('new');

    const added = await a.request({
      method: 'POST',
      url: `/v1/conversations/${conversation.id}/members`,
      payload: { userIds: [b.id] },
    });
    expect(added.json().members.map((m: { userId: string }) => m.userId)).toContain(b.id);

    const notOwner = await a.request({
      method: 'DELETE',
      url: `/v1/conversations/${conversation.id}/members/${b.id}`,
    });
    expect(notOwner.statusCode).toBe(403);
    expect(notOwner.json().error.code).toBe('AUTH_FORBIDDEN');

    const removed = await owner.request({
      method: 'DELETE',
      url: `/v1/conversations/${conversation.id}/members/${b.id}`,
    });
    expect(removed.statusCode).toBe(200);
    expect(
      removed
        .json()
        .members.map((m: { userId: string }) => m.userId)
        .sort(),
    ).toEqual([owner.id, a.id].sort());

    const gone = await owner.request({
      method: 'DELETE',
      url: `/v1/conversations/${conversation.id}/members/${b.id}`,
    });
    expect(gone.statusCode).toBe(404);

    await vi.waitFor(() => expect(updatesOf(conversation.id)).toHaveLength(4));
    const changes = updatesOf(conversation.id).map((e) => [e.data.change, e.data.affectedUserIds]);
    expect(changes).toEqual([
      ['created', expect.arrayContaining([owner.id, a.id])],
      ['renamed', []],
      ['members_added', [b.id]],
      ['member_removed', [b.id]],
    ]);
  });

  it('leaving passes ownership on; removing yourself is leaving', async () => {
    const [owner, a, b] = [await h.user(), await h.user(), await h.user()];
    const conversation = await group(owner, [a]);
    await owner.request({
      method: 'POST',
      url: `/v1/conversations/${conversation.id}/members`,
      payload: { userIds: [b.id] },
    });
    const left = await owner.request({ method: 'POST', url: `/v1/conversations/${conversation.id}/leave` });
    expect(left.statusCode).toBe(204);
    const members = (
      await a.request({ method: 'GET', url: `/v1/conversations/${conversation.id}/members` })
    ).json().members as Array<{ userId: string; role: string }>;
    expect(members.map((m) => [m.userId, m.role])).toEqual([
      [a.id, 'owner'],
      [b.id, 'member'],
    ]);

    const self = await b.request({
      method: 'DELETE',
      url: `/v1/conversations/${conversation.id}/members/${b.id}`,
    });
    expect(self.statusCode).toBe(204);
    await vi.waitFor(() =>
      expect(updatesOf(conversation.id).map((e) => e.data.change)).toEqual([
        'created',
        'members_added',
        'member_left',
        'member_left',
      ]),
    );
    // A former member reads nothing.
    const after = await owner.request({ method: 'GET', url: `/v1/conversations/${conversation.id}` });
    expect(after.statusCode).toBe(404);
  });
});

describe('listing and reading', () => {
  it('lists my conversations, newest activity first, with last message and unread count', async () => {
    const [me, bob, carol] = [await h.user(), await h.user(), await h.user()];
    const withBob = (
      await me.request({ method: 'POST', url: '/v1/conversations/direct', payload: { userId: bob.id } })
    ).json();
    const team = await group(carol, [me, bob]);

    await send(withBob.id, bob, 3);
    await send(team.id, carol, 2);
    await send(team.id, me, 1);

    const list = (await me.request({ method: 'GET', url: '/v1/conversations' })).json()
      .conversations as Conversation[];
    expect(list.map((c) => c.id)).toEqual([team.id, withBob.id]);
    const [teamView, bobView] = list;
    // My own message moved my read cursor: the group's earlier messages count as read.
    expect(teamView).toMatchObject({ lastSeq: 3, unreadCount: 0 });
    expect(teamView?.lastMessage).toMatchObject({ seq: 3, senderId: me.id });
    expect(bobView).toMatchObject({ lastSeq: 3, unreadCount: 3 });
    expect(teamView?.members.find((m) => m.userId === me.id)).toMatchObject({ readSeq: 3, deliveredSeq: 3 });

    const one = (await bob.request({ method: 'GET', url: `/v1/conversations/${withBob.id}` })).json();
    expect(one).toMatchObject({ id: withBob.id, unreadCount: 0, lastSeq: 3 });
  });

  it('pages history by seq both ways, from the join seq of a late member', async () => {
    const [owner, late] = [await h.user(), await h.user()];
    const conversation = await group(owner, []);
    await send(conversation.id, owner, 5);
    await owner.request({
      method: 'POST',
      url: `/v1/conversations/${conversation.id}/members`,
      payload: { userIds: [late.id] },
    });
    await send(conversation.id, owner, 5);

    const seqs = (page: { messages: Array<{ seq: number }> }) => page.messages.map((m) => m.seq);
    const newest = (
      await owner.request({ method: 'GET', url: `/v1/conversations/${conversation.id}/messages?limit=4` })
    ).json();
    expect([seqs(newest), newest.hasMore]).toEqual([[7, 8, 9, 10], true]);
    const back = (
      await owner.request({
        method: 'GET',
        url: `/v1/conversations/${conversation.id}/messages?before=7&limit=4`,
      })
    ).json();
    expect([seqs(back), back.hasMore]).toEqual([[3, 4, 5, 6], true]);
    const start = (
      await owner.request({ method: 'GET', url: `/v1/conversations/${conversation.id}/messages?before=3` })
    ).json();
    expect([seqs(start), start.hasMore]).toEqual([[1, 2], false]);
    const forward = (
      await owner.request({ method: 'GET', url: `/v1/conversations/${conversation.id}/messages?after=8` })
    ).json();
    expect([seqs(forward), forward.hasMore]).toEqual([[9, 10], false]);

    const lateView = (
      await late.request({ method: 'GET', url: `/v1/conversations/${conversation.id}/messages` })
    ).json();
    expect(seqs(lateView)).toEqual([6, 7, 8, 9, 10]);
    const lateBack = (
      await late.request({
        method: 'GET',
        url: `/v1/conversations/${conversation.id}/messages?after=0&limit=2`,
      })
    ).json();
    expect([seqs(lateBack), lateBack.hasMore]).toEqual([[6, 7], true]);
    const lateList = (await late.request({ method: 'GET', url: '/v1/conversations' })).json().conversations;
    expect(lateList[0]).toMatchObject({ id: conversation.id, unreadCount: 5 });
  });
});
