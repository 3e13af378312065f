import fc from 'fast-check';
import { Channel } from '../../src/subscriptions/live-connection';
import { parseDelivered } from '../../src/subscriptions/notice-relay';

describe('Channel', () => {
  it('hands out what was pushed, in order, whether next() waited or not; nothing after end', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.integer(), fc.boolean()), { maxLength: 50 }), async (steps) => {
        let ended = 0;
        const channel = new Channel<number>(() => ended++);
        const got: number[] = [];
        for (const [value, waitFirst] of steps) {
          if (waitFirst) {
            const next = channel.next();
            channel.push(value);
            const r = await next;
            if (!r.done) got.push(r.value);
          } else {
            channel.push(value);
            const r = await channel.next();
            if (!r.done) got.push(r.value);
          }
        }
        expect(got).toEqual(steps.map(([v]) => v));
        const waiting = channel.next();
        channel.end();
        channel.end();
        expect(await waiting).toEqual({ value: undefined, done: true });
        channel.push(1);
        expect(await channel.next()).toEqual({ value: undefined, done: true });
        expect(ended).toBe(1);
      }),
    );
  });

  it('keeps only the newest 100 values for a reader that falls behind', async () => {
    const channel = new Channel<number>(() => undefined);
    for (let i = 0; i < 150; i++) channel.push(i);
    const got: number[] = [];
    for (let i = 0; i < 100; i++) got.push((await channel.next()).value as number);
    expect(got[0]).toBe(50);
    expect(got[99]).toBe(149);
  });
});

describe('parseDelivered', () => {
  const id = 'a1b2c3d4-0000-4000-8000-000000000001';
  it('accepts the fan-out’s payload and lower-cases its ids', () => {
    expect(parseDelivered(JSON.stringify({ eventId: id.toUpperCase(), recipientIds: [id] }))).toEqual({ eventId: id, recipientIds: [id] });
  });
  it('ignores anything else on the channel', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.json()), (payload) => {
        const parsed = parseDelivered(payload);
        if (parsed) expect(parsed.eventId).toMatch(/^[0-9a-f-]{36}$/);
      }),
    );
    for (const bad of [
      undefined,
      '',
      '{}',
      JSON.stringify({ eventId: 'x', recipientIds: [] }),
      JSON.stringify({ eventId: id, recipientIds: ['x'] }),
    ])
      expect(parseDelivered(bad)).toBeNull();
  });
});
