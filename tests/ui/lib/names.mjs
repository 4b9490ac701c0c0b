// names.mjs: the accessible names of UI.md, in English and Japanese,
// written here from UI.md (not read from web/i18n), so that a renamed
// string breaks the tests as it would break the product's checks.
export const NAMES = {
  en: {
    skip: 'Skip to main content', language: 'Language / 言語', signOut: 'Sign out', main: 'Main',
    engage: 'Engage', campaignManager: 'Campaign Manager', programs: 'Programs', links: 'Links',
    reports: 'Reports', conversions: 'Conversions',
    taskManager: 'Task manager', earnings: 'Earnings', postback: 'Postback',
    signInTitle: 'Sign in', email: 'Email', password: 'Password', signIn: 'Sign in',
    campaignType: 'Campaign type', performance: 'Performance', status: 'Status',
    active: 'Active', draft: 'Draft', paused: 'Paused', ended: 'Ended',
    program: 'Program', allPrograms: 'All programs', createCampaign: 'Create campaign',
    campaigns: 'Campaigns', manageCampaign: 'Manage campaign', loadMore: 'Load more',
    cols: ['Name', 'Program', 'Tracking', 'Payout', 'Tasks'],
    campaignName: 'Campaign name', tracking: 'Click and conversion tracking',
    trackingLinkSetting: 'Tracking link setting',
    modes: {
      partner_choice: 'Partners send traffic to a landing page of their choice',
      brand_selected: 'Partners send traffic to specific landing pages that I choose',
      program_default: 'Partners send traffic to my program\'s default landing page',
    },
    landingPages: 'Landing pages', payout: 'Payout', fixed: 'Fixed amount', percent: 'Percent of sale',
    amount: 'Amount', rate: 'Rate (%)', cancel: 'Cancel', retry: 'Retry',
    copied: 'Copied to clipboard',
  },
  ja: {
    skip: 'メインコンテンツへスキップ', language: 'Language / 言語', signOut: 'ログアウト', main: 'メイン',
    engage: 'エンゲージ', campaignManager: 'キャンペーンマネージャー', programs: 'プログラム', links: 'リンク',
    reports: 'レポート', conversions: 'コンバージョン',
    taskManager: 'タスクマネージャー', earnings: '収益', postback: 'ポストバック',
    signInTitle: 'ログイン', email: 'メールアドレス', password: 'パスワード', signIn: 'ログイン',
    campaignType: 'キャンペーンの種類', performance: 'パフォーマンス', status: 'ステータス',
    active: '有効', draft: '下書き', paused: '一時停止', ended: '終了',
    program: 'プログラム', allPrograms: 'すべてのプログラム', createCampaign: 'キャンペーンを作成',
    campaigns: 'キャンペーン', manageCampaign: 'キャンペーンを管理', loadMore: 'さらに表示',
    cols: null, // UI.md gives the column names in English only
    campaignName: 'キャンペーン名', tracking: 'クリックとコンバージョンのトラッキング',
    trackingLinkSetting: 'トラッキングリンクの設定',
    modes: {
      partner_choice: 'パートナーは自分で選択したランディングページにトラフィックを誘導します',
      brand_selected: 'パートナーは私が選択した特定のランディングページにトラフィックを誘導します',
      program_default: 'パートナーは私のプログラムのデフォルトのランディングページにトラフィックを誘導します',
    },
    landingPages: 'ランディングページ', payout: '報酬', fixed: '固定額', percent: '売上の割合',
    amount: '金額', rate: '料率 (%)', cancel: 'キャンセル', retry: '再試行',
    copied: 'クリップボードにコピーしました',
  },
};

export const N = (lang) => NAMES[lang];
