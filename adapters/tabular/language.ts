export const LANGUAGES = ['en', 'fr', 'de'] as const;
export type Language = (typeof LANGUAGES)[number];

/** The best of en/fr/de for an Accept-Language header (q-values honoured), English by default. */
export function pickLanguage(acceptLanguage: string | undefined): Language {
  if (!acceptLanguage) return 'en';
  const ranked = acceptLanguage
    .split(',')
    .map((part) => {
      const [tag, ...params] = part.trim().split(';');
      const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
      return { lang: (tag ?? '').toLowerCase().split('-')[0]!, q: q ? Number(q.slice(2)) || 0 : 1 };
    })
    .filter((x) => x.q > 0)
    .sort((a, b) => b.q - a.q);
  return (ranked.find((x) => (LANGUAGES as readonly string[]).includes(x.lang))?.lang as Language | undefined) ?? 'en';
}

export function translate(text: Record<string, string> | undefined, language: Language, fallback: string): string {
  return text?.[language] ?? text?.en ?? fallback;
}
