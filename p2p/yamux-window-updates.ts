import { StreamState, YamuxStream } from "@chainsafe/libp2p-yamux/stream";

/**
 * Yamux window updates once half a stream's receive window is used, as Go's yamux sends them
 * (hashicorp/yamux stream.go sendWindowUpdate: `if delta < (max/2) && flags == 0 { return nil }`), instead
 * of js-yamux 8's one per data frame received.
 *
 * Why: each window update is a frame of its own on the connection, so every message a node received cost it
 * one more noise frame out (encryption and two socket writes: the length, then the ciphertext) and cost the
 * sender one more frame in (a read, decryption, parsing). On a 4-validator devnet offered ~7 tx/s (`npm run
 * bench -- --validators 4 --rate 20 --txs 300`), 2,184 of the 4,174 frames a node sent in 90 s were window
 * updates (261-270 now); at 2,000 tx/s, 1,066 of 2,063 in a 41 s run. The socket writes a receiver makes for
 * 400 messages (test/integration/yamux-window-updates.test.ts): 800 with an update per frame, 12-16 now.
 *
 * Flow control is otherwise js-yamux's: the window still grows as js-yamux grows it (doubled, up to the
 * stream's maximum, when data comes within four round trips of the data before it: a busy stream's window
 * reaches the maximum within a few frames, as before), each growth is granted at once, and the sender stops
 * when its window is spent. What changes is only when the used part is given back: once it is half the
 * window, while the other half may still be in flight. A sender can wait only with its window spent, and
 * then the receiver, having all of it, has used the whole window: the update is due. A stream's opening
 * flags (SYN, ACK) still go at once; a paused stream sends none (as js-yamux), and resuming sends what is due.
 *
 * @chainsafe/libp2p-yamux is pinned to the version this was written against (package.json): a release that
 * changed this method would otherwise be replaced by this copy without a word.
 *
 * The patch replaces one method of the library's exported stream class, for every muxer of this process; the
 * test above fails if the fields named below or the frame type change.
 */

/** The yamux spec's frame type of a window update (js-yamux's FrameType.WindowUpdate, not exported). */
const WINDOW_UPDATE = 1;

/** The fields of js-yamux 8's YamuxStream that sendWindowUpdate reads and writes (private in its types). */
interface StreamWindow {
  state: StreamState;
  streamId: number;
  recvWindow: number;
  recvWindowCapacity: number;
  maxStreamWindowSize: number;
  epochStart: number;
  getRTT(): number;
  getSendFlags(): number;
  sendFrame(header: { type: number; flag: number; streamID: number; length: number }): boolean;
}

function sendWindowUpdate(this: StreamWindow): void {
  const now = Date.now();
  if (this.state === StreamState.Paused) {
    // Nothing more is wanted from the remote for now; the epoch restarts when reading resumes (as js-yamux).
    this.epochStart = now;
    return;
  }
  const flags = this.getSendFlags(); // may move the stream's state on (SYN, ACK): called once, first
  const rtt = this.getRTT();
  const window = this.recvWindow;
  if (flags === 0 && rtt > -1 && now - this.epochStart <= rtt * 4) {
    this.recvWindow = Math.min(window * 2, this.maxStreamWindowSize);
  }
  this.epochStart = now; // js-yamux moved it at each update, which it sent for each frame
  const delta = this.recvWindow - this.recvWindowCapacity;
  // Held back only while less than half the window is used and the window did not just grow.
  if (flags === 0 && this.recvWindow === window && delta < window / 2) return;
  this.recvWindowCapacity = this.recvWindow;
  this.sendFrame({ type: WINDOW_UPDATE, flag: flags, streamID: this.streamId, length: delta });
}

const proto = YamuxStream.prototype as unknown as { sendWindowUpdate: (this: StreamWindow) => void };

/** Puts the half-window rule in place for every yamux stream of this process (again: no change). */
export function installYamuxWindowUpdates(): void {
  proto.sendWindowUpdate = sendWindowUpdate;
}
