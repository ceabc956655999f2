import { generateKeyPair } from "@libp2p/crypto/keys";
import pino from "pino";
import { afterEach, describe, expect, it, vi } from "vitest";
import { Mempool, MIN_ADMISSION_QUEUE } from "../../node/mempool.ts";
import { TX_ENTRIES_PER_SECOND, TX_PROTOCOL, TxRelay, type TxRelayOptions } from "../../node/tx-relay.ts";
import { TxVerifier } from "../../node/tx-verifier.ts";
import { Gossip } from "../../p2p/gossip.ts";
import { createP2pHost, type P2pHost } from "../../p2p/host.ts";
import { decodeTxBatch, encodeTxBatch, MAX_TX_BATCH_BYTES, MAX_TX_BATCH_COUNT } from "../../proto/p2p.ts";
import type { Account } from "../../proto/records.ts";
import { decodeTx } from "../../proto/tx.ts";
import { DEFAULT_PARAMS } from "../../state/params.ts";
import { keyId } from "../../state/view.ts";
import { toHex } from "../../crypto/bytes.ts";
import { TestAccount } from "../helpers/accounts.ts";
import { waitFor } from "../helpers/tmp.ts";

const CHAIN = "opl-test-1";
const FEE = DEFAULT_PARAMS.minFee;
const log = pino({ level: "silent" });
const stops: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const stop of stops.splice(0).reverse()) await stop();
});

async function host(): Promise<P2pHost> {
  const privateKey = await generateKeyPair("Ed25519");
  const h = await createP2pHost({ privateKey, listen: ["/ip4/127.0.0.1/tcp/0"], agentVersion: "test" });
  stops.push(async () => {
    await h.stop();
  });
  return h;
}

/**
 * A node's mempool (room for one tx unless `maxTxs` says otherwise) and tx relay, and a peer that sends it
 * raw tx batches.
 */
async function setup(opts: { maxTxs?: number; verifier?: TxVerifier; relay?: Partial<TxRelayOptions> } = {}) {
  const { state, mempool, node, relay, offences } = await lone(opts);
  const { gossip } = await peerOf(node);
  const send = (bytes: Uint8Array, batch = false) =>
    expect(gossip.broadcast(batch ? bytes : encodeTxBatch([bytes]))).toBe(1);
  return { state, mempool, relay, send, offences };
}

/** A node's mempool and tx relay, with no peer yet. */
async function lone(opts: { maxTxs?: number; verifier?: TxVerifier; relay?: Partial<TxRelayOptions> } = {}) {
  const state = new Map<string, Account>();
  const mempool = new Mempool(
    {
      ...{ maxTxs: opts.maxTxs ?? 1, maxBytes: 1 << 20, maxPerSender: 16 },
      ...{ ttlBlocks: 100, ttlMs: 60_000, maxGappedPerSender: 4, maxGappedTotal: 4 },
    },
    {
      chainId: CHAIN,
      params: DEFAULT_PARAMS,
      verifier: opts.verifier ?? new TxVerifier(CHAIN),
      account: (a) => state.get(keyId(a)) ?? { nonce: 0, balance: 0n },
      includedAt: async () => undefined,
    },
  );
  const node = await host();
  const offences: string[] = [];
  const relay = await TxRelay.start(node, mempool, log, (_peer, reason) => offences.push(reason), opts.relay);
  stops.push(() => relay.stop());
  return { state, mempool, node, relay, offences };
}

/**
 * A peer of `node` speaking the tx protocol (on `on`, if given: a host made first, so that it can be named),
 * connected; `received` collects the tx batches it is sent.
 */
async function peerOf(node: P2pHost, on: P2pHost | undefined = undefined) {
  const peer = on ?? (await host());
  const received: Uint8Array[] = [];
  const gossip = await Gossip.start(
    peer,
    {
      protocol: TX_PROTOCOL,
      maxMessageBytes: MAX_TX_BATCH_BYTES,
      maxQueuedBytes: 1 << 20,
      maxMessagesPerSecond: 1000,
      onMessage: (_from, bytes) => received.push(bytes),
      onMisbehaviour: () => {},
    },
    log,
  );
  stops.push(() => gossip.stop());
  await peer.dial(node.getMultiaddrs()[0]);
  await waitFor("tx gossip stream", () => (gossip.peers.includes(node.peerId.toString()) ? true : undefined));
  return { gossip, received };
}

/** A verifier whose checks wait, while `holding`, until `release` (signature checks under way). */
class HeldVerifier extends TxVerifier {
  holding = false;
  private readonly held: (() => void)[] = [];
  override async verify(tx: Parameters<TxVerifier["verify"]>[0]): Promise<boolean> {
    if (this.holding) await new Promise<void>((r) => this.held.push(r));
    return super.verify(tx);
  }

  release(): void {
    this.holding = false;
    for (const r of this.held.splice(0)) r();
  }
}

describe("tx relay over real libp2p on loopback", () => {
  it("with no peer, batches and remembers nothing of what it admits; with one, relays each admitted tx", async () => {
    const { state, mempool, node, relay } = await lone({ maxTxs: 100 });
    const alice = new TestAccount();
    state.set(keyId(alice.address), { nonce: 0, balance: 100n * FEE });
    const send = () => mempool.add(alice.transfer(CHAIN, new Uint8Array(20), FEE, FEE).bytes);
    for (let i = 0; i < 3; i++) await send();
    // A lone validator under load kept 50,000 hashes here, and encoded a batch every 50 ms, for nobody.
    expect(relay.remembered).toBe(0);
    expect(relay.peerCount).toBe(0);

    const { received } = await peerOf(node);
    await waitFor("the relay's stream to the peer", () => (relay.peerCount === 1 ? true : undefined));
    const tx = await send();
    await waitFor("the peer's batch", () => (received.length > 0 ? true : undefined));
    expect(decodeTxBatch(received[0]).map((b) => toHex(b))).toEqual([toHex(tx.bytes)]);
    expect(relay.remembered).toBe(1);
    expect(relay.stats.relayed).toBe(1);
    expect(mempool.size).toBe(4);
  });

  it("drops a peer's txs that cannot get in while the mempool is full (no admission), and takes one again once there is room", async () => {
    const { state, mempool, relay, send, offences } = await setup();
    const [alice, bob] = [new TestAccount(), new TestAccount()];
    for (const a of [alice, bob]) state.set(keyId(a.address), { nonce: 0, balance: 100n * FEE });
    const first = alice.transfer(CHAIN, new Uint8Array(20), FEE, FEE);
    await mempool.add(first.bytes);
    const second = bob.transfer(CHAIN, new Uint8Array(20), FEE, FEE);
    // While the mempool is full, a peer's txs that cannot get in are dropped before admission (no signature
    // check): under twice the load the network commits, every admitted tx reached 3 full peers, and their
    // refusals were two thirds of all a node made (profile of `npm run bench -- --validators 4 --rate 4000`).
    const admissions = vi.spyOn(mempool, "add");
    const later = Array.from({ length: 99 }, () => bob.transfer(CHAIN, new Uint8Array(20), FEE, FEE).bytes);
    send(encodeTxBatch([second.bytes, ...later]), true);
    await waitFor("the full mempool's drop", () => (relay.stats.dropped === 100 ? true : undefined));
    expect(admissions).not.toHaveBeenCalled();
    expect(relay.stats.refused).toBe(0);
    expect(mempool.has(toHex(second.hash))).toBe(false);

    // A block includes the first tx: there is room again, and the same tx relayed again is admitted.
    state.set(keyId(alice.address), { nonce: 1, balance: 98n * FEE });
    mempool.update([decodeTx(first.bytes)]);
    send(second.bytes);
    await waitFor("the relayed tx admitted", () => (mempool.has(toHex(second.hash)) ? true : undefined));
    expect(relay.stats.duplicates).toBe(0);
    expect(offences).toEqual([]);
  });

  it("keeps a relayed tx in bytes of its own, not a view into the peer's whole batch", async () => {
    const { state, mempool, send, relay } = await setup({ maxTxs: 10 });
    const alice = new TestAccount();
    state.set(keyId(alice.address), { nonce: 0, balance: 100n * FEE });
    // One tx that waits in the mempool (a nonce gap: no block takes it), padded by copies of itself to 512 KiB:
    // the copies are dropped as duplicates, and the tx kept the whole batch alive (a peer's 4 MiB batch per
    // gapped tx held ~4 GiB across the mempool's gapped txs, counted as their own few hundred bytes).
    const gapped = alice.transfer(CHAIN, new Uint8Array(20), FEE, FEE, { nonce: 1 });
    const copies = Math.floor((1 << 19) / gapped.bytes.byteLength);
    send(encodeTxBatch(Array.from({ length: copies }, () => gapped.bytes)), true);
    await waitFor("the gapped tx admitted", () => (mempool.has(toHex(gapped.hash)) ? true : undefined));
    await waitFor("its copies dropped", () => (relay.stats.received === copies ? true : undefined));
    const kept = mempool.all().find((tx) => toHex(tx.hash) === toHex(gapped.hash));
    expect(kept?.bytes.byteLength).toBe(gapped.bytes.byteLength);
    // Every part of the decoded tx is of that buffer: nothing refers to the batch.
    expect(kept?.bytes.buffer.byteLength).toBe(gapped.bytes.byteLength); // the code before: the 512 KiB batch's
    expect(kept?.signature.buffer).toBe(kept?.bytes.buffer);
    expect(kept?.bodyBytes.buffer).toBe(kept?.bytes.buffer);
  });

  it("reads at most TX_ENTRIES_PER_SECOND of a peer's batch entries: past them a batch is shed unread", async () => {
    // A clock that stands still: the budget does not refill during the test.
    const { state, mempool, send, relay, offences } = await setup({ maxTxs: 10, relay: { now: () => 0 } });
    const alice = new TestAccount();
    state.set(keyId(alice.address), { nonce: 0, balance: 100n * FEE });
    const tx = alice.transfer(CHAIN, new Uint8Array(20), FEE, FEE);
    // Batches of the protocol's most entries, all copies of one tx: each copy cost a hash and a lookup, never
    // charged (200 such batches a second took ~1.6 s of the main thread a second).
    const batches = TX_ENTRIES_PER_SECOND.burstBytes / MAX_TX_BATCH_COUNT + 2;
    for (let i = 1; i <= batches; i++) {
      send(encodeTxBatch(Array.from({ length: MAX_TX_BATCH_COUNT }, () => tx.bytes)), true);
      await waitFor(`batch ${i} read`, () => (relay.stats.received === i * MAX_TX_BATCH_COUNT ? true : undefined));
    }
    expect(mempool.has(toHex(tx.hash))).toBe(true);
    // The burst's entries were read (one admitted, the rest copies); the two batches past it were not.
    expect(relay.stats.duplicates).toBe(TX_ENTRIES_PER_SECOND.burstBytes - 1); // the code before: every copy
    expect(relay.stats.shed).toBe(2 * MAX_TX_BATCH_COUNT);
    expect(offences).toEqual([]);
  });

  it("an entry that does not decode ends its batch: the rest is not read, and the peer is penalised at once", async () => {
    const { state, mempool, send, offences, relay } = await setup({ maxTxs: 10 });
    const [alice, bob] = [new TestAccount(), new TestAccount()];
    for (const a of [alice, bob]) state.set(keyId(a.address), { nonce: 0, balance: 100n * FEE });
    const before = alice.transfer(CHAIN, new Uint8Array(20), FEE, FEE);
    const after = bob.transfer(CHAIN, new Uint8Array(20), FEE, FEE);
    send(encodeTxBatch([before.bytes, Uint8Array.of(0xff, 0xff, 0xff), after.bytes]), true);
    await waitFor("the peer penalised", () => (offences.length > 0 ? true : undefined));
    expect(offences[0]).toMatch(/does not decode/);
    await waitFor("the entry before admitted", () => (mempool.has(toHex(before.hash)) ? true : undefined));
    // Not read past the bad entry (the code before admitted it, and penalised the peer after every entry).
    expect(relay.stats.received).toBe(2);
    expect(mempool.has(toHex(after.hash))).toBe(false);
  });

  it("the strangers' entries a second are split among the strangers sending: one cannot spend them all", async () => {
    const named = await host();
    const persistentPeers = new Set([named.peerId.toString()]);
    const { state, mempool, node, relay } = await lone({ maxTxs: 10, relay: { persistentPeers, now: () => 0 } });
    const [alice, bob] = [new TestAccount(), new TestAccount()];
    for (const a of [alice, bob]) state.set(keyId(a.address), { nonce: 0, balance: 100n * FEE });
    const [first, second] = [await peerOf(node), await peerOf(node)];
    // The first stranger sends its own bound's worth: copies of one tx, a full batch at a time.
    const copies = alice.transfer(CHAIN, new Uint8Array(20), FEE, FEE).bytes;
    const full = encodeTxBatch(Array.from({ length: MAX_TX_BATCH_COUNT }, () => copies));
    const batches = TX_ENTRIES_PER_SECOND.burstBytes / MAX_TX_BATCH_COUNT;
    for (let i = 1; i <= batches; i++) {
      expect(first.gossip.broadcast(full)).toBe(1);
      await waitFor(`batch ${i} read`, () => (relay.stats.received === i * MAX_TX_BATCH_COUNT ? true : undefined));
    }
    // The second's batch is still read: its part of the strangers' share is its own (one bucket for all
    // strangers, which the first had emptied, shed it).
    const tx = bob.transfer(CHAIN, new Uint8Array(20), FEE, FEE);
    expect(second.gossip.broadcast(encodeTxBatch([tx.bytes]))).toBe(1);
    await waitFor("the second stranger's tx admitted", () => (mempool.has(toHex(tx.hash)) ? true : undefined));
    expect(relay.stats.batchesShed).toBe(0);
  });

  it("a full admission queue refuses a client's tx, not a peer's: a sender's relayed run is admitted whole", async () => {
    // Peers relay only what their mempools admitted. Dropped here, such a tx was missing from the compact
    // proposals that named it, and the sender's later nonces were refused behind its gap (NONCE_TOO_HIGH):
    // under 2,400 tx/s offered to 4 validators, 6,000-28,000 of the 45,000 txs each node was relayed.
    const verifier = new HeldVerifier(CHAIN);
    const { state, mempool, relay, send, offences } = await setup({ maxTxs: 10_000, verifier });
    const clients = Array.from({ length: MIN_ADMISSION_QUEUE }, () => new TestAccount());
    const bob = new TestAccount();
    for (const a of [...clients, bob]) state.set(keyId(a.address), { nonce: 0, balance: 100n * FEE });
    verifier.holding = true;
    const clientAdmissions = clients.map((c) => mempool.add(c.transfer(CHAIN, new Uint8Array(20), FEE, FEE).bytes));
    expect(mempool.admissionQueueFull).toBe(true);
    const late = new TestAccount();
    state.set(keyId(late.address), { nonce: 0, balance: 100n * FEE });
    const refused = mempool.add(late.transfer(CHAIN, new Uint8Array(20), FEE, FEE).bytes);
    await expect(refused).rejects.toMatchObject({ code: "MEMPOOL_FULL" });

    const run = Array.from({ length: 10 }, () => bob.transfer(CHAIN, new Uint8Array(20), FEE, FEE));
    send(encodeTxBatch(run.map((t) => t.bytes)), true);
    await waitFor("the peer's txs in admission", () => (mempool.inFlight === MIN_ADMISSION_QUEUE + run.length ? true : undefined));
    verifier.release();
    await Promise.all(clientAdmissions);
    await waitFor("the relayed run admitted", () => (run.every((t) => mempool.has(toHex(t.hash))) ? true : undefined));
    expect(relay.stats.dropped).toBe(0);
    expect(relay.stats.refused).toBe(0);
    expect(offences).toEqual([]);
  });

  it("one peer's txs in admission are bounded: past its share they are shed, not queued", async () => {
    // Peers' txs skip the admission queue's bound, so a peer sending forgeries (each costs a check before its
    // penalty lands) must not hold every check slot: at most maxInFlightPerPeer of its txs wait at once.
    const verifier = new HeldVerifier(CHAIN);
    const relayOptions = { maxInFlightPerPeer: 4 };
    const { state, mempool, relay, send, offences } = await setup({ maxTxs: 10_000, verifier, relay: relayOptions });
    const senders = Array.from({ length: 10 }, () => new TestAccount());
    for (const a of senders) state.set(keyId(a.address), { nonce: 0, balance: 100n * FEE });
    const txs = senders.map((a) => a.transfer(CHAIN, new Uint8Array(20), FEE, FEE));
    verifier.holding = true;
    send(encodeTxBatch(txs.map((t) => t.bytes)), true);
    await waitFor("the batch read", () => (relay.stats.received === 10 ? true : undefined));
    expect(mempool.inFlight).toBe(4);
    expect(relay.stats.shed).toBe(6);
    verifier.release();
    await waitFor("the first four admitted", () => (mempool.size === 4 ? true : undefined));
    // Shed, not marked seen: a later copy of each of the rest is taken.
    for (const t of txs.slice(4)) {
      send(t.bytes);
      await waitFor("a resent tx admitted", () => (mempool.has(toHex(t.hash)) ? true : undefined));
    }
    expect(relay.stats.shed).toBe(6);
    expect(offences).toEqual([]);
  });

  it("strangers' txs in admission do not fill the clients' queue: a client's tx still gets in", async () => {
    // Forgeries relayed under fresh stranger ids (each id's penalty lands after its first failed check) held
    // the strangers' share of the relay's admissions, past the clients' queue: every client got MEMPOOL_FULL.
    const verifier = new HeldVerifier(CHAIN);
    const named = await host();
    const persistentPeers = new Set([named.peerId.toString()]);
    const { state, mempool, node, relay } = await lone({ maxTxs: 10_000, verifier, relay: { persistentPeers } });
    const senders = Array.from({ length: MIN_ADMISSION_QUEUE }, () => new TestAccount());
    const client = new TestAccount();
    for (const a of [...senders, client]) state.set(keyId(a.address), { nonce: 0, balance: 100n * FEE });
    verifier.holding = true;
    const stranger = await peerOf(node);
    const batch = encodeTxBatch(senders.map((a) => a.transfer(CHAIN, new Uint8Array(20), FEE, FEE).bytes));
    expect(stranger.gossip.broadcast(batch)).toBe(1);
    await waitFor("the stranger's txs in admission", () => (mempool.inFlight === senders.length ? true : undefined));
    expect(mempool.admissionQueueFull).toBe(false); // the code before: true, and the client's tx MEMPOOL_FULL
    const tx = client.transfer(CHAIN, new Uint8Array(20), FEE, FEE);
    const admitted = mempool.add(tx.bytes);
    verifier.release();
    await admitted;
    expect(mempool.has(toHex(tx.hash))).toBe(true);
    await waitFor("the stranger's txs admitted", () => (mempool.size === senders.length + 1 ? true : undefined));
    expect(relay.stats.shed).toBe(0);
  });

  it("strangers' txs in admission are bounded together; a persistent peer's still get in", async () => {
    // Forgeries cost a check each before their penalty lands, and stranger ids cost nothing: strangers (peers
    // not in persistent_peers) hold at most maxInFlightStrangers of the checks in flight, whatever their number.
    const verifier = new HeldVerifier(CHAIN);
    const named = await host();
    const persistentPeers = new Set([named.peerId.toString()]);
    const relay = { maxInFlightPerPeer: 4, maxInFlight: 12, persistentPeers }; // strangers: half, 6
    const { state, mempool, node, relay: r } = await lone({ maxTxs: 10_000, verifier, relay });
    const senders = Array.from({ length: 30 }, () => new TestAccount());
    for (const a of senders) state.set(keyId(a.address), { nonce: 0, balance: 100n * FEE });
    const batches = [0, 10, 20].map((at) =>
      encodeTxBatch(senders.slice(at, at + 10).map((a) => a.transfer(CHAIN, new Uint8Array(20), FEE, FEE).bytes)));
    verifier.holding = true;
    const strangers = [await peerOf(node), await peerOf(node)];
    for (const [i, s] of strangers.entries()) expect(s.gossip.broadcast(batches[i])).toBe(1);
    await waitFor("both strangers' batches read", () => (r.stats.received === 20 ? true : undefined));
    expect(mempool.inFlight).toBe(6); // 4 of the first (its own bound), 2 of the second (the strangers' 6)
    expect(r.stats.shed).toBe(14);
    const { gossip } = await peerOf(node, named);
    expect(gossip.broadcast(batches[2])).toBe(1);
    await waitFor("the persistent peer's batch read", () => (r.stats.received === 30 ? true : undefined));
    expect(mempool.inFlight).toBe(10); // 4 more: the persistent peer's own bound, not the strangers'
    expect(r.stats.shed).toBe(20);
    verifier.release();
    await waitFor("the ten in flight admitted", () => (mempool.size === 10 ? true : undefined));
    // Their share is back once admitted: a stranger's next txs are taken again (a sender's next nonces).
    const next = senders.slice(0, 3).map((a) => a.transfer(CHAIN, new Uint8Array(20), FEE, FEE).bytes);
    expect(strangers[1].gossip.broadcast(encodeTxBatch(next))).toBe(1);
    await waitFor("the stranger's next txs admitted", () => (mempool.size === 13 ? true : undefined));
  });

  it("the strangers' share is split among the strangers sending: ids that keep it full leave an honest stranger its part", async () => {
    // Before, two stranger ids refilling one batch each held the strangers' whole share, and a full node
    // relaying its clients' txs (a stranger to a validator) had every tx shed.
    const verifier = new HeldVerifier(CHAIN);
    const named = await host();
    const persistentPeers = new Set([named.peerId.toString()]);
    const relay = { maxInFlightPerPeer: 6, maxInFlight: 24, persistentPeers, now: () => 1_800_000_000_000 };
    const { state, mempool, node, relay: r } = await lone({ maxTxs: 10_000, verifier, relay }); // strangers: 12
    const senders = Array.from({ length: 48 }, () => new TestAccount());
    for (const a of senders) state.set(keyId(a.address), { nonce: 0, balance: 100n * FEE });
    let next = 0;
    const [a, b, honest] = [await peerOf(node), await peerOf(node), await peerOf(node)];
    /** Sends `n` transfers (new senders) from `peer`, waits until they are read, returns their ids. */
    const sent = async (peer: { gossip: Gossip }, n: number) => {
      const txs = senders.slice(next, (next += n)).map((s) => s.transfer(CHAIN, new Uint8Array(20), FEE, FEE));
      const received = r.stats.received;
      expect(peer.gossip.broadcast(encodeTxBatch(txs.map((t) => t.bytes)))).toBe(1);
      await waitFor("the batch read", () => (r.stats.received === received + n ? true : undefined));
      return txs.map((t) => toHex(t.hash));
    };

    verifier.holding = true;
    await sent(a, 10);
    await sent(b, 10);
    expect(mempool.inFlight).toBe(12); // 6 each (their own bound): the strangers' 12
    await sent(honest, 4);
    expect(mempool.inFlight).toBe(12); // all 4 shed: the share was full
    verifier.release();
    await waitFor("the twelve admitted", () => (mempool.size === 12 ? true : undefined));

    // They refill it, but three strangers are sending now: a third of the share each.
    verifier.holding = true;
    await sent(a, 10);
    await sent(b, 10);
    expect(mempool.inFlight).toBe(8);
    const honests = await sent(honest, 4);
    expect(mempool.inFlight).toBe(12); // the honest stranger's 4 are taken
    verifier.release();
    await waitFor("the honest stranger's txs admitted", () => (mempool.size === 24 ? true : undefined));
    expect(honests.every((id) => mempool.has(id))).toBe(true);
  });

  it("strangers' txs in admission are bounded in bytes together too", async () => {
    // Few big txs fill the bytes in flight long before the count: strangers take at most half of those too.
    const verifier = new HeldVerifier(CHAIN);
    const named = await host();
    const persistentPeers = new Set([named.peerId.toString()]);
    const { state, mempool, node, relay: r } = await lone({
      maxTxs: 10_000,
      verifier,
      relay: { maxInFlightBytes: 4 * 1024, persistentPeers }, // strangers: 2 KiB
    });
    const senders = Array.from({ length: 60 }, () => new TestAccount());
    for (const a of senders) state.set(keyId(a.address), { nonce: 0, balance: 100n * FEE });
    const txs = senders.map((a) => a.transfer(CHAIN, new Uint8Array(20), FEE, FEE).bytes);
    const size = txs[0].byteLength;
    expect(txs.every((t) => t.byteLength === size)).toBe(true);
    verifier.holding = true;
    const stranger = await peerOf(node);
    expect(stranger.gossip.broadcast(encodeTxBatch(txs.slice(0, 30)))).toBe(1);
    await waitFor("the stranger's batch read", () => (r.stats.received === 30 ? true : undefined));
    const strangers = Math.floor(2048 / size); // as many as fit the strangers' 2 KiB
    expect(mempool.inFlight).toBe(strangers);
    const { gossip } = await peerOf(node, named);
    expect(gossip.broadcast(encodeTxBatch(txs.slice(30)))).toBe(1);
    await waitFor("the persistent peer's batch read", () => (r.stats.received === 60 ? true : undefined));
    // The persistent peer's fill the rest of the 4 KiB.
    expect(mempool.inFlight).toBe(strangers + Math.floor((4096 - strangers * size) / size));
    verifier.release();
  });

  it("while the mempool is full, still takes a peer's fee bump of a pending tx and a tx outbidding the cheapest", async () => {
    const { state, mempool, relay, send, offences } = await setup();
    const [alice, bob, carol] = [new TestAccount(), new TestAccount(), new TestAccount()];
    for (const a of [alice, bob, carol]) state.set(keyId(a.address), { nonce: 0, balance: 100n * FEE });
    const first = alice.transfer(CHAIN, new Uint8Array(20), FEE, FEE, { nonce: 0 });
    await mempool.add(first.bytes);
    expect(mempool.full).toBe(true);
    const admissions = vi.spyOn(mempool, "add");

    // Bob pays no more than the pending tx: dropped. Alice's bump of her nonce 0 (+100%) replaces it.
    const cheap = bob.transfer(CHAIN, new Uint8Array(20), FEE, FEE);
    const bump = alice.transfer(CHAIN, new Uint8Array(20), FEE, 2n * FEE, { nonce: 0 });
    send(encodeTxBatch([cheap.bytes, bump.bytes]), true);
    await waitFor("the fee bump admitted", () => (mempool.has(toHex(bump.hash)) ? true : undefined));
    expect(mempool.has(toHex(first.hash))).toBe(false);
    expect(relay.stats.dropped).toBe(1);
    expect(admissions).toHaveBeenCalledTimes(1); // the dropped tx never reached admission

    // Carol outbids the cheapest pending tx (the bump): she takes its place.
    const dear = carol.transfer(CHAIN, new Uint8Array(20), FEE, 5n * FEE);
    send(dear.bytes);
    await waitFor("the outbidding tx admitted", () => (mempool.has(toHex(dear.hash)) ? true : undefined));
    expect(mempool.has(toHex(bump.hash))).toBe(false);
    expect(relay.stats.dropped).toBe(1);
    expect(offences).toEqual([]);
  });

  it("penalises a peer for a forged tx, drops its copies unchecked, and still takes the real tx", async () => {
    const { state, mempool, relay, send, offences } = await setup();
    const victim = new TestAccount();
    state.set(keyId(victim.address), { nonce: 0, balance: 100n * FEE });
    const real = victim.transfer(CHAIN, new Uint8Array(20), FEE, FEE, { nonce: 0 });
    const forged = victim.transfer(CHAIN, new Uint8Array(20), 50n * FEE, FEE, { nonce: 0 }).bytes.slice();
    forged[forged.length - 1] ^= 1;
    send(forged);
    await waitFor("the forgery refused", () => (relay.stats.refused === 1 ? true : undefined));
    expect(offences).toHaveLength(1);
    send(forged);
    await waitFor("the copy dropped", () => (relay.stats.duplicates === 1 ? true : undefined));
    send(real.bytes);
    await waitFor("the real tx admitted", () => (mempool.has(toHex(real.hash)) ? true : undefined));
    expect(relay.stats.refused).toBe(1);
  });
});
