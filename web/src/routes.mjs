// routes.mjs: every screen of the UI, by path. A route is
//   {path, load, kind?, public?, title?}
// path: "/app/campaigns/:id/:tab" (":name" segments reach the screen as
// params); load: () => import('./screen.mjs'), whose default export is the
// screen component; kind: 'brand' or 'partner' when only that kind of
// account may see it; public: shown signed out (the login page); title:
// the i18n key of the h1, for a screen that todo.mjs stands in for
// (load: () => import('./todo.mjs')) until it is built.
// The first route that matches wins: put literal paths before ":params".

export const routes = [
  { path: '/app/login', public: true, load: () => import('./login.mjs') },
  { path: '/app/campaigns', kind: 'brand', load: () => import('./campaigns.mjs') },
  { path: '/app/campaigns/new', kind: 'brand', load: () => import('./campaign_new.mjs') },
  { path: '/app/campaigns/:id', kind: 'brand', load: () => import('./manage.mjs') },
  { path: '/app/campaigns/:id/:tab', kind: 'brand', load: () => import('./manage.mjs') },
  { path: '/app/programs', kind: 'brand', load: () => import('./programs.mjs') },
  { path: '/app/programs/:id', kind: 'brand', load: () => import('./programs.mjs') },
  { path: '/app/links', kind: 'brand', load: () => import('./links.mjs') },
  { path: '/app/reports', kind: 'brand', load: () => import('./reports.mjs') },
  { path: '/app/conversions', kind: 'brand', load: () => import('./conversions.mjs') },
  { path: '/app/tasks', kind: 'partner', load: () => import('./taskmgr.mjs') },
  { path: '/app/tasks/:id', load: () => import('./task.mjs') },
  { path: '/app/earnings', kind: 'partner', load: () => import('./earnings.mjs') },
  { path: '/app/postback', kind: 'partner', load: () => import('./postback.mjs') },
  { path: '/app/settings', load: () => import('./settings.mjs') },
];

// The navigation of each kind of account: [i18n key, href, heading?].
export const navigation = {
  brand: {
    heading: 'nav.engage',
    links: [
      ['nav.campaigns', '/app/campaigns?status=active', '/app/campaigns'],
      ['nav.programs', '/app/programs'],
      ['nav.links', '/app/links'],
      ['nav.reports', '/app/reports'],
      ['nav.conversions', '/app/conversions'],
      ['nav.settings', '/app/settings'],
    ],
  },
  partner: {
    heading: null,
    links: [
      ['nav.tasks', '/app/tasks'],
      ['nav.earnings', '/app/earnings'],
      ['nav.postback', '/app/postback'],
      ['nav.settings', '/app/settings'],
    ],
  },
};
