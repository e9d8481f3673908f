/**
 * `completion bash|zsh|fish`: prints a shell completion script for every command, subcommand and
 * option, with the fixed choices of the options that have them (`--log-level`, `--webhook-on`, …).
 * The script is generated from the program itself, so it never lags behind the commands; it
 * needs no cloud (SnapSentry-Go's cobra offered the same command).
 */
import type { Command, Option } from "commander";
import { LEVELS } from "../../log.ts";
import { UsageError } from "../../errors.ts";
import { type CommandContext, withExamples } from "../command.ts";

/** One command of the tree, flattened for the generators. */
export interface CompletionNode {
  /** The words after `snapsentry` that select it ("" for the program itself). */
  path: string;
  description: string;
  subcommands: { name: string; description: string }[];
  /** Options valid here: its own, its parents' and the program's. */
  options: CompletionOption[];
}

export interface CompletionOption {
  flags: string[];
  description: string;
  takesValue: boolean;
  choices: readonly string[];
}

// Values commander cannot know: options whose parser accepts a fixed set.
const EXTRA_CHOICES: Record<string, readonly string[]> = {
  "--log-level": LEVELS,
  "--log-format": ["json", "logfmt"],
  "--policy": ["all", "daily", "weekly", "monthly", "express"],
  "--interval-hours": ["6", "8", "12"],
  "--week-day": ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"],
};

function optionOf(o: Option): CompletionOption {
  const flags = [o.long, o.short].filter((f): f is string => typeof f === "string");
  const choices = o.argChoices ?? EXTRA_CHOICES[o.long ?? ""] ?? [];
  return {
    flags,
    description: o.description,
    takesValue: o.required || o.optional,
    choices,
  };
}

/** Flattens the program into one node per command path. */
export function completionTree(program: Command): CompletionNode[] {
  const nodes: CompletionNode[] = [];
  const walk = (cmd: Command, path: string[], inherited: CompletionOption[]) => {
    const options = [
      ...cmd.options.map(optionOf),
      ...inherited,
      { flags: ["--help", "-h"], description: "show help", takesValue: false, choices: [] },
    ];
    nodes.push({
      path: path.join(" "),
      description: cmd.description(),
      subcommands: cmd.commands.flatMap((c) =>
        [c.name(), ...c.aliases()].map((name) => ({ name, description: c.description() }))
      ),
      options,
    });
    const passOn = [...cmd.options.map(optionOf), ...inherited];
    for (const sub of cmd.commands) {
      for (const name of [sub.name(), ...sub.aliases()]) walk(sub, [...path, name], passOn);
    }
  };
  walk(program, [], []);
  return nodes;
}

/** Single-quotes a word for sh, bash, zsh and fish alike. */
function q(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`;
}

/** Option flags that take a value, with their choices (shared by bash and zsh). */
function valueOptions(nodes: CompletionNode[]): Map<string, readonly string[]> {
  const m = new Map<string, readonly string[]>();
  for (const n of nodes) {
    for (const o of n.options) {
      if (!o.takesValue) continue;
      for (const f of o.flags) if (!m.has(f) || o.choices.length > 0) m.set(f, o.choices);
    }
  }
  return m;
}

const firstLine = (s: string) => (s.split("\n")[0] ?? "").replace(/\s+/g, " ").trim();

export function bashCompletion(nodes: CompletionNode[]): string {
  const words = nodes.map((n) =>
    `    ${q(n.path)}) echo ${
      q([...n.subcommands.map((s) => s.name), ...n.options.flatMap((o) => o.flags)].join(" "))
    } ;;`
  );
  const values = [...valueOptions(nodes)].map(([f, choices]) =>
    `    ${q(f)}) echo ${q(choices.join(" "))} ;;`
  );
  const commands = nodes.filter((n) => n.path !== "").map((n) => q(n.path)).join("|");
  return `# bash completion for snapsentry. Load it with:
#   source <(snapsentry completion bash)
# or save it as /etc/bash_completion.d/snapsentry.
_snapsentry_words() {
  case "$1" in
${words.join("\n")}
  esac
}
_snapsentry_values() {
  case "$1" in
${values.join("\n")}
    *) return 1 ;;
  esac
}
_snapsentry_is_command() {
  case "$1" in
    ${commands}) return 0 ;;
  esac
  return 1
}
_snapsentry() {
  local cur="\${COMP_WORDS[COMP_CWORD]}" prev="" path="" next w i skip=0
  ((COMP_CWORD > 0)) && prev="\${COMP_WORDS[COMP_CWORD-1]}"
  for ((i = 1; i < COMP_CWORD; i++)); do
    w="\${COMP_WORDS[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$w" in
      --*=*) ;;
      -*) _snapsentry_values "$w" >/dev/null && skip=1 ;;
      *)
        next="\${path:+$path }$w"
        _snapsentry_is_command "$next" && path="$next"
        ;;
    esac
  done
  local choices
  if choices="$(_snapsentry_values "$prev")"; then
    # shellcheck disable=SC2207
    COMPREPLY=($(compgen -W "$choices" -- "$cur"))
    return 0
  fi
  # shellcheck disable=SC2207
  COMPREPLY=($(compgen -W "$(_snapsentry_words "$path")" -- "$cur"))
}
complete -F _snapsentry snapsentry
`;
}

export function zshCompletion(nodes: CompletionNode[]): string {
  const esc = (s: string) => s.replace(/:/g, "\\:");
  const items = nodes.map((n) => {
    const lines = [
      ...n.subcommands.map((s) => `${esc(s.name)}:${firstLine(s.description)}`),
      ...n.options.flatMap((o) => o.flags.map((f) => `${esc(f)}:${firstLine(o.description)}`)),
    ];
    return `    ${q(n.path)}) reply=(${lines.map(q).join(" ")}) ;;`;
  });
  const values = [...valueOptions(nodes)].map(([f, choices]) =>
    `    ${q(f)}) reply=(${choices.map(q).join(" ")}) ;;`
  );
  const commands = nodes.filter((n) => n.path !== "").map((n) => q(n.path)).join("|");
  return `#compdef snapsentry
# zsh completion for snapsentry. Load it with:
#   source <(snapsentry completion zsh)
# or save it as _snapsentry in a directory of $fpath.
_snapsentry_items() {
  case "$1" in
${items.join("\n")}
    *) reply=() ;;
  esac
}
_snapsentry_values() {
  case "$1" in
${values.join("\n")}
    *) return 1 ;;
  esac
}
_snapsentry_is_command() {
  case "$1" in
    ${commands}) return 0 ;;
  esac
  return 1
}
_snapsentry() {
  local cmdpath="" next w i skip=0
  local -a reply
  for ((i = 2; i < CURRENT; i++)); do
    w="\${words[i]}"
    if ((skip)); then skip=0; continue; fi
    case "$w" in
      --*=*) ;;
      -*) _snapsentry_values "$w" && skip=1 ;;
      *)
        next="\${cmdpath:+$cmdpath }$w"
        _snapsentry_is_command "$next" && cmdpath="$next"
        ;;
    esac
  done
  if _snapsentry_values "\${words[CURRENT-1]}"; then
    (( \${#reply} )) && compadd -a reply
    return
  fi
  _snapsentry_items "$cmdpath"
  _describe -t snapsentry 'snapsentry' reply
}
if (( $+functions[compdef] )); then
  compdef _snapsentry snapsentry
fi
`;
}

export function fishCompletion(nodes: CompletionNode[]): string {
  const out = [
    "# fish completion for snapsentry. Load it with:",
    "#   snapsentry completion fish | source",
    "# or save it as ~/.config/fish/completions/snapsentry.fish.",
    "complete -c snapsentry -f",
    // The command path typed so far: the words after snapsentry that are commands.
    "function __snapsentry_path",
    "    set -l words (commandline -opc)",
    "    set -e words[1]",
    "    set -l cmdpath",
    "    for w in $words",
    "        if string match -qr -- '^-' $w",
    "            continue",
    "        end",
    "        if contains -- (string join ' ' $cmdpath $w) $__snapsentry_commands",
    "            set cmdpath $cmdpath $w",
    "        end",
    "    end",
    "    string join ' ' $cmdpath",
    "end",
    "function __snapsentry_at",
    "    set -l p (__snapsentry_path)",
    '    test "$p" = "$argv[1]"',
    "end",
    `set -g __snapsentry_commands ${
      nodes.filter((n) => n.path !== "").map((n) => q(n.path)).join(" ")
    }`,
  ];
  for (const n of nodes) {
    // Command names are [a-z-] words, so double quotes need no escaping here.
    const cond = `-n "__snapsentry_at '${n.path}'"`;
    for (const s of n.subcommands) {
      out.push(`complete -c snapsentry ${cond} -a ${q(s.name)} -d ${q(firstLine(s.description))}`);
    }
    for (const o of n.options) {
      const names = o.flags.map((f) => f.startsWith("--") ? `-l ${f.slice(2)}` : `-s ${f.slice(1)}`)
        .join(" ");
      const value = o.takesValue
        ? (o.choices.length ? ` -x -a ${q(o.choices.join(" "))}` : " -r")
        : "";
      out.push(`complete -c snapsentry ${cond} ${names}${value} -d ${q(firstLine(o.description))}`);
    }
  }
  return out.join("\n") + "\n";
}

const SHELLS = {
  bash: bashCompletion,
  zsh: zshCompletion,
  fish: fishCompletion,
} as const;

export function registerCompletion(program: Command, ctx: CommandContext): void {
  const cmd = program.command("completion")
    .description("Print a shell completion script (bash, zsh or fish); needs no cloud")
    .argument("<shell>", "bash, zsh or fish")
    .action((shell: string) => {
      const make = Object.hasOwn(SHELLS, shell) ? SHELLS[shell as keyof typeof SHELLS] : undefined;
      if (!make) {
        throw new UsageError(`Cannot complete for shell "${shell}": expected bash, zsh or fish`);
      }
      ctx.deps.writeOut(make(completionTree(program)));
    });
  withExamples(
    cmd,
    "source <(snapsentry completion bash)",
    "snapsentry completion zsh > ~/.zfunc/_snapsentry",
    "snapsentry completion fish > ~/.config/fish/completions/snapsentry.fish",
  );
}
