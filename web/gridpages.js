// gridpages.js - the live grid's pages: which cameras a page shows (by site, so many per page), and the bar that picks them.

// Tiles per page a person can choose; 16 by default (a 4 × 4 wall). Only the page shown
// streams, so a large organization costs the browser one page of decoders.
export const LAYOUTS = [1, 4, 9, 16, 25];
export const DEFAULT_PER_PAGE = 16;
const ALL = '';

// The cameras of view.site ('' for every site) cut into pages of view.perPage; view.page is
// clamped into range. cams: sorted, each with .site (hex id or null). Returns
// { items, page, pages, total }.
export function pageOf(cams, view) {
	const perPage = LAYOUTS.includes(view.perPage) ? view.perPage : DEFAULT_PER_PAGE;
	const shown = view.site === ALL ? cams : cams.filter((c) => c.site === view.site);
	const pages = Math.max(1, Math.ceil(shown.length / perPage));
	const page = Math.min(Math.max(0, Number.isInteger(view.page) ? view.page : 0), pages - 1);
	return { items: shown.slice(page * perPage, (page + 1) * perPage), page, pages, total: shown.length };
}

// The sites that have cameras, by name ({ id, name }), from the organization's site list
// (names) and the cameras' sites; a site the list does not name shows its id's start.
export function sitesOf(cams, sites) {
	const names = new Map((Array.isArray(sites) ? sites : []).map((s) => [s.id, s.name]));
	const ids = [...new Set(cams.map((c) => c.site).filter((s) => typeof s === 'string'))];
	return ids.map((id) => ({ id, name: names.get(id) || 'site ' + id.slice(0, 8) }))
		.sort((a, b) => a.name.localeCompare(b.name, undefined, { numeric: true }));
}

const el = (tag, props, ...kids) => {
	const e = document.createElement(tag);
	Object.assign(e, props || {});
	e.append(...kids);
	return e;
};

// The bar above the grid: site (when there are two or more), tiles per page, and the page.
// onChange(view) gets the new { site, perPage, page }.
export class PageBar {
	constructor(root, onChange) {
		this.root = root;
		this.onChange = onChange;
	}

	render(view, sites, p) {
		const kids = [];
		if (sites.length > 1) {
			const sel = el('select', { id: 'grid-site', title: 'Show the cameras of one site' },
				el('option', { value: ALL, textContent: 'All sites' }),
				...sites.map((s) => el('option', { value: s.id, textContent: s.name })));
			sel.value = view.site;
			sel.addEventListener('change', () => this.onChange({ site: sel.value, perPage: view.perPage, page: 0 }));
			kids.push(el('label', { className: 'grid-ctl' }, 'Site ', sel));
		}
		const per = el('select', { id: 'grid-per-page', title: 'Tiles per page' },
			...LAYOUTS.map((n) => el('option', { value: String(n), textContent: String(n) })));
		per.value = String(view.perPage);
		per.addEventListener('change', () => this.onChange({ site: view.site, perPage: Number(per.value), page: 0 }));
		kids.push(el('label', { className: 'grid-ctl' }, 'Per page ', per));
		if (p.pages > 1) {
			const prev = el('button', { id: 'grid-prev', type: 'button', className: 'ghost', textContent: '‹ Previous', disabled: p.page === 0 });
			const next = el('button', { id: 'grid-next', type: 'button', className: 'ghost', textContent: 'Next ›', disabled: p.page >= p.pages - 1 });
			prev.addEventListener('click', () => this.onChange({ site: view.site, perPage: view.perPage, page: p.page - 1 }));
			next.addEventListener('click', () => this.onChange({ site: view.site, perPage: view.perPage, page: p.page + 1 }));
			kids.push(el('span', { className: 'grid-pages' }, prev,
				el('span', { id: 'grid-page', textContent: `Page ${p.page + 1} of ${p.pages}` }), next));
		}
		kids.push(el('span', { id: 'grid-count', className: 'muted', textContent: `${p.total} camera${p.total === 1 ? '' : 's'}` }));
		this.root.replaceChildren(...kids);
		this.root.hidden = false;
	}

	hide() {
		this.root.replaceChildren();
		this.root.hidden = true;
	}
}
