// names_links.mjs: the accessible names of UI.md for the link side
// (Manage campaign, Task details, Links, the partner's Task manager), in
// English and Japanese, written here from UI.md (not read from web/i18n),
// so that a renamed string breaks the tests as it would break the
// product's checks. The names UI.md does not give are marked "ours".
export const LNAMES = {
  en: {
    breadcrumb: 'Breadcrumb', campaignTabs: 'Campaign',
    tabs: ['Overview', 'Tasks', 'Partners', 'Links', 'Reports', 'Settings'],
    activate: 'Activate', pause: 'Pause', end: 'End campaign',
    createTask: 'Create task', title: 'Title', description: 'Description', due: 'Due', partners: 'Partners',
    tasks: 'Tasks', viewTask: 'View task details', noTasks: 'No tasks yet',
    addPartner: 'Add partner', partner: 'Partner', save: 'Save', cancel: 'Cancel',
    assigned: 'Assigned partners', assign: 'Assign partner', trackingLink: 'Tracking link',
    landingUrl: 'Landing page URL', landingPage: 'Landing page', automatic: 'The link is made automatically',
    linkType: 'Link type', short: 'Short', regular: 'Regular', advanced: 'Advanced',
    sub: (n) => `Sub ID ${n}`, shared: 'Shared ID', createLink: 'Create link', copy: 'Copy', qr: 'QR code',
    links: 'Links', linkCols: ['Partner', 'Type', 'Landing page', 'Link'], active: 'Active', disabled: 'Disabled',
    disable: 'Disable', qrAlt: (url) => `QR code for ${url}`, download: 'Download SVG', close: 'Close',
    campaign: 'Campaign', myTasks: 'My campaign tasks', search: 'Search tasks', noTasksAssigned: 'No tasks assigned yet',
    copied: 'Copied to clipboard', pressCtrlC: 'Press Ctrl+C', clicks: 'Clicks', conversions: 'Conversions',
    campaignName: 'Campaign name', tracking: 'Click and conversion tracking',
    allCampaigns: 'All campaigns', allPartners: 'All partners', // ours
    choosePage: /^Choose a landing page \(landing_page_required\)$/, // ours
  },
  ja: {
    breadcrumb: 'パンくずリスト', campaignTabs: 'キャンペーン',
    tabs: ['概要', 'タスク', 'パートナー', 'リンク', 'レポート', '設定'],
    activate: '有効にする', pause: '一時停止する', end: 'キャンペーンを終了',
    createTask: 'タスクを作成', title: 'タイトル', description: '説明', due: '期限', partners: 'パートナー',
    tasks: 'タスク', viewTask: 'タスク詳細を表示', noTasks: 'タスクはまだありません',
    addPartner: 'パートナーを追加', partner: 'パートナー', save: '保存', cancel: 'キャンセル',
    assigned: '割り当て済みパートナー', assign: 'パートナーを割り当て', trackingLink: 'トラッキングリンク',
    landingUrl: 'ランディングページURL', landingPage: 'ランディングページ', automatic: 'リンクは自動で作成されます',
    linkType: 'リンクの種類', short: '短い', regular: '通常の', advanced: '詳細設定',
    sub: (n) => `サブID ${n}`, shared: '共有ID', createLink: 'リンクを作成', copy: 'コピー', qr: 'QRコード',
    links: 'リンク', linkCols: null, active: '有効', disabled: '無効',
    disable: '無効にする', qrAlt: (url) => `${url} のQRコード`, download: 'SVGをダウンロード', close: '閉じる',
    campaign: 'キャンペーン', myTasks: 'マイキャンペーンタスク', search: 'タスクを検索', noTasksAssigned: 'まだタスクが割り当てられていません',
    copied: 'クリップボードにコピーしました', pressCtrlC: 'Ctrl+C でコピー', clicks: 'クリック数', conversions: 'コンバージョン数',
    campaignName: 'キャンペーン名', tracking: 'クリックとコンバージョンのトラッキング',
    allCampaigns: 'すべてのキャンペーン', allPartners: 'すべてのパートナー', // ours
    choosePage: /^ランディングページを選択してください \(landing_page_required\)$/, // ours
  },
};

export const LN = (lang) => LNAMES[lang];
