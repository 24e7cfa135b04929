// A TCP fault proxy for the tests (loopback only): sits between a job and a server and injects resets, latency and
// black-holes on command.
import net from 'node:net';

export interface FaultProxy {
  port: number;
  /** Connections currently open through the proxy. */
  readonly open: number;
  /** Destroys every open connection with a TCP RST, both sides. Returns how many. */
  reset(): number;
  /** Delays every chunk in both directions by `ms` (0 turns it off). */
  latency(ms: number): void;
  /** Stops forwarding on the open connections (the bytes vanish, the sockets stay open) for `ms`, then resets them. */
  blackhole(ms: number): Promise<number>;
  close(): Promise<void>;
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  const pairs = new Set<{ a: net.Socket; b: net.Socket; dead: boolean }>();
  let delay = 0;
  const server = net.createServer((client) => {
    const upstream = net.connect(target);
    const pair = { a: client, b: upstream, dead: false };
    pairs.add(pair);
    const pipe = (from: net.Socket, to: net.Socket): void => {
      from.on('data', (chunk) => {
        if (pair.dead) return; // black-holed
        if (delay > 0) {
          from.pause();
          setTimeout(() => {
            if (!pair.dead && !to.destroyed) to.write(chunk);
            from.resume();
          }, delay);
        } else if (!to.destroyed) to.write(chunk);
      });
      from.on('end', () => to.end());
    };
    pipe(client, upstream);
    pipe(upstream, client);
    const drop = (): void => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', drop);
    upstream.on('close', drop);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const resetAll = (): number => {
    let n = 0;
    for (const pair of [...pairs]) {
      n++;
      pairs.delete(pair);
      pair.a.resetAndDestroy();
      pair.b.resetAndDestroy();
    }
    return n;
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    get open() {
      return pairs.size;
    },
    reset: resetAll,
    latency(ms) {
      delay = ms;
    },
    async blackhole(ms) {
      const holed = [...pairs];
      for (const pair of holed) pair.dead = true;
      await new Promise((r) => setTimeout(r, ms));
      for (const pair of holed) {
        pairs.delete(pair);
        pair.a.resetAndDestroy();
        pair.b.resetAndDestroy();
      }
      return holed.length;
    },
    async close() {
      resetAll();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
