import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { channel } from '../src/channel.ts';
import { scope } from '../src/scope.ts';
import { flush, track } from './support/helpers.ts';

describe('channel', () => {
  test('send waits while the buffer is full (backpressure)', async () => {
    const ch = channel<number>({ capacity: 2 });
    await ch.send(1);
    await ch.send(2);
    const third = track(ch.send(3));
    await flush();
    assert.equal(third.settled(), false);
    assert.equal(ch.size, 2);
    assert.equal(await ch.receive(), 1);
    await third.promise;
    assert.deepEqual([await ch.receive(), await ch.receive()], [2, 3]);
  });

  test('receive waits while the buffer is empty', async () => {
    const ch = channel<string>();
    const received = track(ch.receive());
    await flush();
    assert.equal(received.settled(), false);
    await ch.send('hello');
    assert.equal(await received.promise, 'hello');
  });

  test('capacity 0 hands each value straight to a receiver', async () => {
    const ch = channel<string>({ capacity: 0 });
    const sent = track(ch.send('direct'));
    await flush();
    assert.equal(sent.settled(), false);
    assert.equal(await ch.receive(), 'direct');
    await sent.promise;
  });

  test('close lets receivers drain the buffer, then iteration ends', async () => {
    const ch = channel<number>({ capacity: 3 });
    await ch.send(1);
    await ch.send(2);
    ch.close();
    await assert.rejects(ch.send(3), { code: 'ERR_TANDEM_CHANNEL_CLOSED' });
    const seen: number[] = [];
    for await (const v of ch) seen.push(v);
    assert.deepEqual(seen, [1, 2]);
    await assert.rejects(ch.receive(), { code: 'ERR_TANDEM_CHANNEL_CLOSED' });
  });

  test('close rejects senders that were waiting and ends waiting receivers', async () => {
    const full = channel<number>({ capacity: 1 });
    await full.send(1);
    const blocked = full.send(2);
    full.close();
    await assert.rejects(blocked, { code: 'ERR_TANDEM_CHANNEL_CLOSED' });
    assert.equal(await full.receive(), 1);

    const empty = channel<number>();
    const waiting = empty.receive();
    empty.close();
    await assert.rejects(waiting, { code: 'ERR_TANDEM_CHANNEL_CLOSED' });
  });

  test('shutdown immediate drops the buffer', async () => {
    const ch = channel<number>({ capacity: 3 });
    await ch.send(1);
    ch.shutdown({ immediate: true });
    assert.equal(ch.size, 0);
    assert.equal(ch.closed, true);
    await assert.rejects(ch.receive(), { code: 'ERR_TANDEM_CHANNEL_CLOSED' });
  });

  test('an aborted send leaves the queue and its value is never delivered', async () => {
    const ch = channel<string>({ capacity: 1 });
    await ch.send('kept');
    const controller = new AbortController();
    const reason = new Error('give up');
    const aborted = ch.send('dropped', { signal: controller.signal });
    controller.abort(reason);
    await assert.rejects(aborted, (error) => error === reason);
    assert.equal(await ch.receive(), 'kept');
    ch.close();
    const rest: string[] = [];
    for await (const v of ch) rest.push(v);
    assert.deepEqual(rest, []);
  });

  test('an aborted receive leaves the queue and takes nothing', async () => {
    const ch = channel<string>();
    const controller = new AbortController();
    const aborted = ch.receive({ signal: controller.signal });
    controller.abort();
    await assert.rejects(aborted, { name: 'AbortError' });
    await ch.send('for the next one');
    assert.equal(await ch.receive(), 'for the next one');
  });

  test('a producer and a consumer in one scope', async () => {
    const ch = channel<number>({ capacity: 2 });
    const seen: number[] = [];
    await scope(async (s) => {
      s.spawn(async () => {
        for (let i = 0; i < 10; i++) await ch.send(i);
        ch.close();
      });
      s.spawn(async () => {
        for await (const v of ch) seen.push(v);
      });
    });
    assert.deepEqual(seen, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });

  test('capacity below 0 is rejected at the boundary', () => {
    assert.throws(() => channel({ capacity: -1 }), { code: 'ERR_TANDEM_OUT_OF_RANGE' });
  });
});

describe('channel: a waiter served and aborted in the same tick', () => {
  test('a served receiver keeps its value and removes no other receiver', async () => {
    const ch = channel<string>();
    const first = new AbortController();
    const served = ch.receive({ signal: first.signal });
    const other = track(ch.receive());
    void ch.send('x'); // serves `served` synchronously
    first.abort(); // same tick: its listener is still attached
    assert.equal(await served, 'x');
    await flush();
    assert.equal(other.settled(), false, 'the other receiver still waits');
    await ch.send('y');
    assert.equal(await other.promise, 'y');
    ch.close();
  });

  test('the other receiver is still ended by close()', async () => {
    const ch = channel<string>();
    const first = new AbortController();
    const served = ch.receive({ signal: first.signal });
    const other = track(ch.receive());
    void ch.send('x');
    first.abort();
    await served;
    ch.close();
    await flush();
    assert.equal(other.settled(), true);
    await assert.rejects(other.promise, { code: 'ERR_TANDEM_CHANNEL_CLOSED' });
  });

  test('a served sender is delivered and removes no other sender', async () => {
    const ch = channel<string>({ capacity: 0 });
    const first = new AbortController();
    const sent = ch.send('a', { signal: first.signal });
    const other = track(ch.send('b'));
    const received = ch.receive(); // takes 'a' synchronously
    first.abort();
    assert.equal(await received, 'a');
    await sent;
    assert.equal(await ch.receive(), 'b');
    await other.promise;
    ch.close();
  });

  test('the other sender is still rejected by close()', async () => {
    const ch = channel<string>({ capacity: 0 });
    const first = new AbortController();
    const sent = ch.send('a', { signal: first.signal });
    const other = track(ch.send('b'));
    const received = ch.receive();
    first.abort();
    await received;
    await sent;
    ch.close();
    await flush();
    await assert.rejects(other.promise, { code: 'ERR_TANDEM_CHANNEL_CLOSED' });
  });
});
