// The shipped models (public/models/<name>.*), in the order the page offers them: the model
// whose measured speedup is higher comes first (README, "Benchmark"; docs/journal.md). The page, the kiosk and
// the command-line tools take a model by one of these names, and nothing else (so a name can
// never be a path). Each has presets for the page and a prompt file for the benchmarks
// (src/model/prompts/<name>.txt, one prompt a line, see promptLines), written here, not taken
// from the corpus. The files are imported as text so that bundles (bench.html, the GPU kit) carry them.
// A code prompt ends on its last code token, not on a newline: the tokenizer merges a newline with
// the next line's indentation, so a prompt cut after the newline would end on a token the model
// rarely saw there.
import brownPrompts from './prompts/brown-mtp.txt?raw';
import kjvPrompts from './prompts/kjv-mtp.txt?raw';
import pythonPrompts from './prompts/python-mtp.txt?raw';

export interface PresetPrompt {
  label: string;
  text: string;
}

export interface ModelEntry {
  name: string;
  /** What the picker says. */
  title: string;
  /** Code is shown in a monospace pane, whitespace kept. */
  domain: 'code' | 'prose';
  presets: readonly PresetPrompt[];
  /** The benchmarks' default prompts file, as text. */
  benchPrompts: string;
  /** SHA-256 of each shipped file (public/models/<name>.*), checked when a kept copy is read (tests/unit/catalogue.test.ts). */
  sha256: ModelFileHashes;
}

/** SHA-256 (hex) of a model's three files. */
export interface ModelFileHashes {
  weights: string;
  tokenizer: string;
  card: string;
}

export const MODELS: readonly ModelEntry[] = [
  {
    name: 'python-mtp',
    title: 'Python code (the standard library)',
    domain: 'code',
    benchPrompts: pythonPrompts,
    sha256: {
      weights: '850db7ee4c90e998f02cd7165897227a01f3f21d6153256969d39306d5e9eece',
      tokenizer: 'dd247f7ed56aa2d5ac89773659c58148b8cfdea5ad23194c2a75210f1d46fa54',
      card: 'b4ebc73f9094315e6c86862cbecc39c5d5a1cab37d007e0d162f1d310d3a0752',
    },
    presets: [
      { label: 'Function', text: 'def read_config(path):\n    """Return the settings in the file at path as a dict."""' },
      { label: 'Class', text: 'class Stack:\n    def __init__(self):\n        self.items = []\n\n    def push(self, item):' },
      { label: 'Loop', text: 'def count_words(lines):\n    counts = {}\n    for line in lines:' },
      { label: 'Imports', text: 'import os\nimport sys\n\n\ndef main(argv):' },
    ],
  },
  {
    name: 'kjv-mtp',
    title: 'English prose (King James Bible)',
    domain: 'prose',
    benchPrompts: kjvPrompts,
    sha256: {
      weights: 'ef1deb04291b21d1ab4e5d6c022dc67c2c71704bdc395b899dcd24c72134e2ef',
      tokenizer: 'bae9fe9d680ce1dcff3fb6bf4964424759c2706f2eefa98f8d81c4111f7c5936',
      card: 'e70b6ad8b6fdc505ac428c86aff4c0ba849a72e7514e3460eca4f78e3ce82826',
    },
    presets: [
      { label: 'Kings', text: 'And the king sent messengers unto the city, saying,' },
      { label: 'Shepherd', text: 'And the shepherd rose up early in the morning, and went' },
      { label: 'Psalm', text: 'Hear my voice, O Lord, for' },
      { label: 'Parable', text: 'Then said he unto his servants, A certain man had' },
    ],
  },
  {
    name: 'brown-mtp',
    title: 'American English (Brown corpus)',
    domain: 'prose',
    benchPrompts: brownPrompts,
    sha256: {
      weights: '1896e039d26cdf1f3bc7c9729ba6904d7bba9d8f5e8fef2dae4bc1eaf6e50a4f',
      tokenizer: 'e5f4c6f53cbb2051c51368b6f7d07db69baa4de968fcdae4823ea6e37e8baa3e',
      card: '8ef27c03b83a7891e17ec905333a1a655cd65117db871a1bbd1224a07a27dc4b',
    },
    presets: [
      {
        label: 'News',
        text: 'The city council voted Tuesday night to approve the new budget for the public schools, and the mayor said that',
      },
      {
        label: 'Fiction',
        text: 'She stood at the window for a long time, watching the rain on the empty street. When he came into the room,',
      },
      { label: 'Press', text: 'The President told a news conference yesterday that the United States would' },
      { label: 'History', text: 'In the years after the war, the small college in the valley' },
    ],
  },
];

export const DEFAULT_MODEL = MODELS[0].name;

/** The entry of a shipped model, or undefined for any other name. */
export function modelEntry(name: string): ModelEntry | undefined {
  return MODELS.find((m) => m.name === name);
}

/** One line for a name that is not a shipped model. */
export function unknownModelMessage(name: string): string {
  return `unknown model ${JSON.stringify(name)}: expected one of ${MODELS.map((m) => m.name).join(', ')}`;
}
