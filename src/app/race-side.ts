// One side of the race (the baseline, or MTP): its decode run, its measured figures, and the text a
// pane shows, built as segments marked by the draft depth that produced them (0: the main model's
// own token), with the drafts the last step threw away, and a tree run's last tree.
import { DecodeRun, stepCutShort, type SamplingOptions, type StepEvent, type TreeStepView } from '../decode/decode-run.ts';
import { RunMetrics } from '../decode/metrics.ts';
import type { DecodeEngine } from '../model/decode-engine.ts';
import type { DraftTree } from '../model/draft-tree.ts';
import type { StreamDecoder, Tokenizer } from '../model/tokenizer.ts';
import type { Segment, SideId, SideResult, SideView, TreePicture } from './race-types.ts';

/** Numbers the rejected-draft flashes across runs, so each one is a new element (and animation). */
let flashes = 0;

export class Side {
  readonly metrics: RunMetrics;
  readonly run: DecodeRun;
  private readonly decoder: StreamDecoder;
  private segments: Segment[] = [];
  private text = '';
  private rejected?: { id: number; text: string };
  private tree?: TreePicture;

  constructor(
    readonly id: SideId,
    engine: DecodeEngine,
    private readonly engineLabel: string,
    readonly depth: number,
    private readonly tokenizer: Tokenizer,
    options: {
      maxTokens: number;
      signal: AbortSignal;
      now: () => number;
      sampling?: SamplingOptions;
      noRepeatNgram: number;
      tree?: DraftTree;
    },
  ) {
    this.metrics = new RunMetrics(options.tree?.depth ?? depth);
    this.decoder = tokenizer.streamDecoder();
    this.run = new DecodeRun(engine, { ...options, depth, endOfText: tokenizer.endOfText });
  }

  async prefill(prompt: readonly number[]): Promise<void> {
    await this.run.prefill(prompt);
    this.metrics.setPrefill(this.run.prefillMs, this.run.tokens.length);
    this.append(this.run.tokens, 0);
    this.finishIfStopped();
  }

  async step(): Promise<StepEvent | undefined> {
    const event = await this.run.step();
    if (!event) return undefined;
    this.metrics.add(event);
    this.append(event.tokens, event.accepted);
    const thrown = stepCutShort(event) ? [] : event.drafts.slice(event.accepted);
    if (thrown.length > 0) {
      const text = thrown.map((t) => this.tokenText(t)).join('');
      this.rejected = { id: ++flashes, text };
    }
    if (event.tree) this.tree = treePicture(event.tree, (t) => this.tokenText(t), ++flashes);
    this.finishIfStopped();
    return event;
  }

  get stopped(): boolean {
    return this.run.stop !== undefined;
  }

  get decodeMs(): number {
    return this.run.decodeMs;
  }

  view(): SideView {
    return {
      id: this.id,
      depth: this.depth,
      engine: this.engineLabel,
      segments: this.segments.map((s) => ({ ...s })),
      text: this.text,
      rejected: this.rejected,
      tree: this.tree,
      metrics: this.metrics.snapshot(),
      stop: this.run.stop,
    };
  }

  result(): SideResult {
    return { text: this.text, tokens: [...this.run.tokens], stop: this.run.stop!, metrics: this.metrics.snapshot() };
  }

  private tokenText(t: number): string {
    return t === this.tokenizer.endOfText ? '<|endoftext|>' : this.tokenizer.decode([t]);
  }

  private append(tokens: readonly number[], accepted: number): void {
    tokens.forEach((t, i) => this.push(this.decoder.push([t]), i < accepted ? i + 1 : 0));
  }

  private push(text: string, draft: number): void {
    if (!text) return;
    this.text += text;
    const last = this.segments[this.segments.length - 1];
    if (last && last.draft === draft) last.text += text;
    else this.segments.push({ text, draft });
  }

  private finishIfStopped(): void {
    // The end of the stream: an incomplete UTF-8 character left over becomes U+FFFD.
    if (this.run.stop && this.run.stop !== 'aborted') this.push(this.decoder.flush(), 0);
  }
}

/** A tree step as the page shows it: each depth's candidates, and what the main model kept. */
export function treePicture(step: TreeStepView, text: (token: number) => string, id: number): TreePicture {
  const { shape, tokens, path } = step;
  const depths = Array.from({ length: shape.depth }, (_, d) =>
    shape.level(d + 1).map((n) => ({
      text: text(tokens[n - 1]),
      rank: shape.rank[n - 1],
      kept: path[d] === n,
      offered: shape.parent[n - 1] === (d === 0 ? 0 : path[d - 1]),
    })),
  );
  const firstSide = path.findIndex((n) => shape.rank[n - 1] > 0);
  return { id, depths, kept: path.length, chainKept: firstSide < 0 ? path.length : firstSide };
}
