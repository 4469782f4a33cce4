/**
 * acme_srv.cfg as acme2certifier reads it: Python's configparser with `interpolation=None` and
 * `optionxform=str` (helpers/config.py load_config). So: `[Section]` headers, `key: value` or
 * `key = value` (the first `:` or `=` splits), option names case-sensitive, whole-line comments
 * starting with `#` or `;`, indented lines continuing the previous value, `%` literal, and
 * duplicate sections or options are errors (configparser strict mode). JSON values (lists,
 * objects) are plain strings here; the importer parses them as acme2certifier does (json.loads).
 */

export interface IniOption {
  section: string;
  key: string;
  value: string;
  /** 1-based line of the key */
  line: number;
}

export class IniParseError extends Error {
  constructor(
    readonly line: number,
    message: string,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'IniParseError';
  }
}

export class IniDocument {
  constructor(
    /** every option in file order */
    readonly options: readonly IniOption[],
    /** every section header in file order (DEFAULT included when present) */
    readonly sectionNames: readonly string[],
  ) {}

  hasSection(section: string): boolean {
    return this.sectionNames.includes(section);
  }

  /** The option as written in `section` (no DEFAULT fallback: the importer reports each option where it stands). */
  option(section: string, key: string): IniOption | undefined {
    return this.options.find((o) => o.section === section && o.key === key);
  }

  get(section: string, key: string): string | undefined {
    return this.option(section, key)?.value;
  }

  section(section: string): IniOption[] {
    return this.options.filter((o) => o.section === section);
  }
}

/** configparser's getboolean: 1/yes/true/on and 0/no/false/off, any case; undefined otherwise. */
export function iniBoolean(value: string): boolean | undefined {
  const v = value.trim().toLowerCase();
  if (['1', 'yes', 'true', 'on'].includes(v)) return true;
  if (['0', 'no', 'false', 'off'].includes(v)) return false;
  return undefined;
}

const SECTION = /^\[(.+)\]$/;
const OPTION = /^(.*?)\s*([=:])\s*(.*)$/;

export function parseIni(text: string): IniDocument {
  const options: IniOption[] = [];
  const sectionNames: string[] = [];
  let section: string | undefined;
  let current: { option: IniOption; indent: number; lines: string[] } | undefined;
  const finish = () => {
    if (!current) return;
    current.option.value = current.lines.join('\n').replace(/\s+$/, '');
    current = undefined;
  };

  text.split(/\r?\n/).forEach((raw, i) => {
    const lineNo = i + 1;
    const stripped = raw.trim();
    const indent = raw.length - raw.trimStart().length;
    if (stripped.startsWith('#') || stripped.startsWith(';')) return;
    if (stripped === '') {
      // configparser keeps empty lines inside a value when an indented continuation follows
      if (current) current.lines.push('');
      return;
    }
    if (current && indent > current.indent) {
      current.lines.push(stripped);
      return;
    }
    finish();
    const header = SECTION.exec(stripped);
    if (header) {
      const name = header[1] as string;
      if (sectionNames.includes(name)) throw new IniParseError(lineNo, `section [${name}] appears twice`);
      sectionNames.push(name);
      section = name;
      return;
    }
    if (section === undefined) throw new IniParseError(lineNo, 'an option before the first [section] header');
    const m = OPTION.exec(stripped);
    const key = m?.[1]?.trim() ?? '';
    if (!m || key === '') throw new IniParseError(lineNo, `expected "key: value" or "key = value" in [${section}]`);
    if (options.some((o) => o.section === section && o.key === key)) throw new IniParseError(lineNo, `option "${key}" appears twice in [${section}]`);
    const option: IniOption = { section, key, value: '', line: lineNo };
    options.push(option);
    current = { option, indent, lines: [m[3] ?? ''] };
  });
  finish();
  return new IniDocument(options, sectionNames);
}
