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
}

export const MODELS: readonly ModelEntry[] = [
  {
    name: 'python-mtp',
    title: 'Python code (the standard library)',
    domain: 'code',
    benchPrompts: pythonPrompts,
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
