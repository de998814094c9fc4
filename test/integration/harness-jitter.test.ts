// The proxy's slow network: delay plus jitter holds each chunk for a random while, yet the stream
// arrives whole and in order, also when the delay is removed while chunks are still held.
import assert from 'node:assert/strict';
import * as net from 'node:net';
import { after, test } from 'node:test';
import { startProxy, stopAll } from '../harness/index.js';

after(() => stopAll());

test('delay with jitter keeps the byte stream in order, through a change of delay', async () => {
  let received = Buffer.alloc(0);
  let done: () => void = () => undefined;
  const all = new Promise<void>((resolve) => (done = resolve));
  const total = 300 * 4;
  const sink = net.createServer((s) => s.on('data', (d: Buffer) => {
    received = Buffer.concat([received, d]);
    if (received.length >= total) done();
  }));
  await new Promise<void>((resolve) => sink.listen(0, '127.0.0.1', () => resolve()));
  const proxy = await startProxy(`127.0.0.1:${(sink.address() as net.AddressInfo).port}`);
  const client = net.connect(proxy.port, '127.0.0.1');
  try {
    client.setNoDelay(true);
    await new Promise<void>((resolve) => client.once('connect', () => resolve()));
    proxy.delay(20, 'toServer', 40);
    const started = performance.now();
    for (let i = 0; i < 300; i++) {
      if (i === 200) proxy.delay(0, 'toServer', 0); // chunks still held must not be overtaken
      const b = Buffer.alloc(4);
      b.writeUInt32BE(i);
      client.write(b);
      await new Promise((r) => setTimeout(r, 1));
    }
    await all;
    const order = Array.from({ length: received.length / 4 }, (_, i) => received.readUInt32BE(4 * i));
    assert.deepEqual(order, Array.from({ length: 300 }, (_, i) => i));
    assert.ok(performance.now() - started >= 20, 'the delay held the chunks');
  } finally {
    client.destroy();
    await proxy.close();
    await new Promise<void>((resolve) => sink.close(() => resolve()));
  }
});
