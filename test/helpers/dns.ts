import dgram from 'node:dgram';
import { once } from 'node:events';
import { isIPv4 } from 'node:net';
import dnsPacket from 'dns-packet';

/** A name server on a loopback address for tests: what it was asked, and the `host:port` to name it by. */
export interface TestDnsServer {
  server: string;
  asked: string[];
  close: () => Promise<void>;
}

/**
 * A real DNS server over UDP on `host`: answers A and AAAA queries for the names in `zone` (any other name
 * is NXDOMAIN), or nothing at all with `silent`, so tests resolve names without asking the machine's
 * resolver (whose name server is off this machine).
 */
export async function startDnsServer(
  host: string,
  zone: Record<string, string[]>,
  options: { silent?: boolean } = {},
): Promise<TestDnsServer> {
  const socket = dgram.createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const asked: string[] = [];
  socket.on('message', (message, from) => {
    let query: dnsPacket.Packet;
    try {
      query = dnsPacket.decode(message);
    } catch {
      return;
    }
    const question = query.questions?.[0];
    if (!question) return;
    asked.push(`${question.type} ${question.name}`);
    if (options.silent) return;
    const addresses = zone[question.name.toLowerCase()];
    const wanted = (a: string) => (question.type === 'A' ? isIPv4(a) : question.type === 'AAAA' && !isIPv4(a));
    const answers = (addresses ?? []).filter(wanted).map((data) => ({
      type: question.type as 'A' | 'AAAA',
      name: question.name,
      ttl: 5,
      data,
    }));
    const reply = dnsPacket.encode({
      id: query.id,
      type: 'response',
      flags: dnsPacket.RECURSION_DESIRED | dnsPacket.RECURSION_AVAILABLE | (addresses ? 0 : 3),
      questions: [question],
      answers,
    } as dnsPacket.Packet);
    socket.send(reply, from.port, from.address);
  });
  socket.bind(0, host);
  await once(socket, 'listening');
  const { port } = socket.address();
  return {
    server: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`,
    asked,
    close: () => new Promise<void>((r) => socket.close(() => r())),
  };
}
