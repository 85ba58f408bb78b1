//! Every string the desktop lab shows of its own, in English and Chinese, in one table.
//!
//! Setting keys, command words, fates, causes and RocketMQ names (SEND_OK, SYNC_FLUSH,
//! ASYNC_MASTER…) stay as the command language and the seeds spell them, so what a class reads on
//! the projector is what it can type and search for. Event explanations come from the core as
//! they are. `gui/tests/font.rs` checks that the bundled font covers every Chinese string here.

use mqlab_core::ids::{MsgId, Node, ProducerId};
use mqlab_core::lesson::Lang;
use mqlab_core::settings::Stage;
use mqlab_core::view::{Fate, NodeNote, Place, TokenState};

macro_rules! strings {
    ($($name:ident => $en:literal, $zh:literal;)*) => {
        /// One UI string.
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum T { $($name),* }

        impl T {
            /// Every string, for the font coverage test.
            pub const ALL: &'static [T] = &[$(T::$name),*];

            pub fn en(self) -> &'static str {
                match self { $(T::$name => $en),* }
            }

            pub fn zh(self) -> &'static str {
                match self { $(T::$name => $zh),* }
            }
        }
    };
}

impl T {
    pub fn get(self, lang: Lang) -> &'static str {
        match lang {
            Lang::En => self.en(),
            Lang::Zh => self.zh(),
        }
    }
}

strings! {
    Title => "mqlab — how a message queue loses messages, and what prevents it",
        "mqlab — 消息队列如何丢消息，以及如何避免";
    MenuLab => "Lab", "实验";
    MenuView => "View", "视图";
    MenuLessons => "Lessons", "课程";
    MenuHelp => "Help", "帮助";
    Producer => "producer", "生产者";
    RoleMaster => "master", "主";
    RoleSlave => "slave", "从";
    RolePromoted => "master (promoted)", "主（已升主）";
    RoleRetired => "retired", "已退役";
    Link => "link", "链路";
    LinkProduce => "produce", "生产";
    LinkReplicate => "replicate", "复制";
    LinkConsume => "consume", "消费";
    Queue => "queue", "队列";
    QueueStored => "stored", "存储";
    QueueCommitted => "committed", "已提交";
    NoOwner => "no consumer", "无消费者";
    GroupDone => "done (the group)", "已处理（消费组）";
    Consumer => "consumer", "消费者";
    Memory => "memory", "内存";
    Outbox => "outbox", "本地消息表";
    Failed => "failed (known)", "失败（已知）";
    FailedShort => "failed", "失败";
    PageCache => "page cache", "页缓存";
    Disk => "disk", "磁盘";
    RetryQueue => "retry", "重试";
    DeadLetters => "dead letters", "死信";
    Processing => "processing", "处理中";
    DoneList => "done", "已处理";
    Dropped => "dropped", "网络丢弃";
    Up => "up", "运行中";
    Down => "DOWN", "已宕机";
    Partitioned => "partitioned", "网络隔离";
    Written => "written", "写入";
    Flushed => "flushed", "刷盘";
    Replicated => "replicated", "已复制";
    Committed => "committed offset", "已提交位点";
    NoReplication => "no replication (broker.replication none)", "未开启复制（broker.replication none）";
    Play => "Play", "播放";
    Pause => "Pause", "暂停";
    Step => "Step", "单步";
    Back => "Back", "后退";
    RunToEnd => "Run", "运行到底";
    Reset => "Reset", "重置";
    Send => "Send", "发送";
    Faster => "Faster", "加速";
    Slower => "Slower", "减速";
    Speed => "speed", "速度";
    StepsPerSecond => "steps/s", "步/秒";
    Timeline => "Timeline", "时间线";
    Idle => "nothing left to do", "没有待处理的事件";
    ZoomIn => "Zoom in", "放大";
    ZoomOut => "Zoom out", "缩小";
    ZoomReset => "Actual size", "原始大小";
    FullScreen => "Full screen", "全屏";
    Presenter => "Presenter mode", "演示模式";
    Theme => "Light / dark", "浅色 / 深色";
    Language => "中文 / English", "中文 / English";
    ShowSettings => "Settings panel", "设置面板";
    ShowLedger => "Ledger and events", "台账与事件";
    ShowSequence => "Sequence diagram", "时序图";
    SequenceCanvas => "Sequence diagram: lanes and arrows", "时序图：泳道与箭头";
    SequenceFollowing => "following", "跟随";
    SequenceHint => "A lane per node, an arrow per envelope; click an arrow to follow its message.", "每个节点一条泳道，每个信封一支箭头；点击箭头即可跟随它的消息。";
    SequenceEmpty => "No envelope has crossed the network yet.", "网络上还没有任何信封。";
    Help => "Keyboard shortcuts", "快捷键";
    Close => "Close", "关闭";
    LessonNext => "Next", "下一步";
    LessonBack => "Previous", "上一步";
    CloseLesson => "Close lesson", "关闭课程";
    Sandbox => "Sandbox (no lesson)", "自由实验（无课程）";
    // What each shortcut does, for tooltips and the help window.
    HelpPlay => "play or pause: one step at the chosen speed", "播放或暂停：按所选速度逐步执行";
    HelpStep => "process the next event", "处理下一个事件";
    HelpBack => "rewind one step", "后退一步";
    HelpRun => "run until nothing is left to do", "一直运行到没有待处理的事件";
    HelpReset => "start over with a fresh world", "重新开始一个新的世界";
    HelpSend => "the producer sends one message", "生产者发送一条消息";
    HelpFaster => "play faster", "播放加速";
    HelpSlower => "play slower", "播放减速";
    HelpZoomIn => "larger text and diagram", "放大文字和图";
    HelpZoomOut => "smaller text and diagram", "缩小文字和图";
    HelpZoomReset => "back to 100%", "恢复 100%";
    HelpFullScreen => "fill the screen", "占满屏幕";
    HelpPresenter => "large type, secondary panels hidden: for the back of the room", "大字号并隐藏次要面板：适合投影";
    HelpTheme => "switch between light and dark", "切换浅色与深色";
    HelpLanguage => "switch the language of the lab and the lessons", "切换界面与课程的语言";
    HelpSettings => "show or hide the settings panel", "显示或隐藏设置面板";
    HelpLedger => "show or hide the ledger and the event log", "显示或隐藏台账与事件日志";
    HelpSequence => "show or hide the sequence diagram: a lane per node, an arrow per envelope, crashes on the lanes", "显示或隐藏时序图：每个节点一条泳道，每个信封一支箭头，崩溃标在泳道上";
    HelpHelp => "this list", "本列表";
    HelpCards => "the interview question, its answer template and the follow-ups",
        "面试经典问题、答题模板与追问";
    HelpLessonNext => "lesson: next step (asks its question first)", "课程：下一步（先提问）";
    HelpLessonBack => "lesson: previous step", "课程：上一步";
    HelpClear => "close the help and the cards, deselect the message", "关闭帮助与卡片，取消选中消息";
    Clear => "Close / deselect", "关闭 / 取消选中";
    KeyColumn => "key", "按键";
    ActionColumn => "action", "操作";
    // Settings panel.
    Settings => "Settings", "设置";
    StageProduce => "1 · Produce", "1 · 生产";
    StageStore => "2 · Store", "2 · 存储";
    StageConsume => "3 · Consume", "3 · 消费";
    StageNetwork => "Network", "网络";
    Faults => "Faults", "故障";
    Crash => "Crash", "崩溃";
    Restart => "Restart", "重启";
    CrashProcess => "process (kill -9)", "进程（kill -9）";
    CrashPower => "power (machine)", "断电（整机）";
    CrashDisk => "disk failure", "磁盘损坏";
    DropNext => "Drop next", "丢包";
    HelpDropNext => "the network loses the next envelope of the kind you pick", "网络丢掉所选类型的下一个数据包";
    Partition => "Partition", "隔离";
    Heal => "Heal", "恢复网络";
    FailNext => "Fail next", "注入失败";
    HelpFailNext => "the consumer's business logic fails on its next message", "消费者处理下一条消息时业务逻辑失败";
    Promote => "Promote replica", "副本升主";
    // Ledger, events, journey.
    Ledger => "Ledger", "台账";
    Events => "Events", "事件";
    Journey => "Journey", "消息轨迹";
    ColMessage => "msg", "消息";
    ColSeq => "seq", "序号";
    ColQueue => "queue", "队列";
    ColWhere => "where", "位置";
    ColStatus => "status", "状态";
    ColFate => "fate", "结局";
    ColCause => "cause", "原因";
    ColEffects => "effects", "生效次数";
    ColDetected => "gap", "缺口";
    NoMessages => "No messages yet: press Send.", "还没有消息：点击“发送”。";
    PickMessage => "Click a message (in the ledger or the diagram) to see its journey.",
        "点击台账或图中的消息，查看它的轨迹。";
    Totals => "totals", "统计";
    Sent => "sent", "已发送";
    Acked => "acked", "已确认";
    Lost => "lost", "丢失";
    Duplicated => "duplicated", "重复";
    Pending => "pending", "进行中";
    Alerts => "alerts", "告警";
    Command => "command", "命令";
    CommandHint => "send 3; step 5; crash broker power", "send 3; step 5; crash broker power";
    Run => "Apply", "执行";
    // Lessons.
    Lesson => "Lesson", "课程";
    Question => "Predict first:", "先预测：";
    Correct => "Correct.", "答对了。";
    NotQuite => "Not quite.", "不完全对。";
    RunStep => "Run this step", "执行这一步";
    LessonDone => "End of the lesson.", "课程结束。";
    LessonsUnavailable => "lessons could not be loaded", "课程无法加载";
    // Interview cards.
    Cards => "Interview cards", "面试卡片";
    NoCards => "No interview cards are built in.", "没有内置的面试卡片。";
    SeeLessons => "See it happen:", "动手看看：";
    OpenLessonHint => "open this lesson", "打开这门课程";
    // Legend.
    Legend => "legend", "图例";
}

/// A stage's heading in the settings panel.
pub fn stage(stage: Stage) -> T {
    match stage {
        Stage::Produce => T::StageProduce,
        Stage::Store => T::StageStore,
        Stage::Consume => T::StageConsume,
        Stage::Network => T::StageNetwork,
    }
}

/// A setting's name in the settings panel, in the words interviews and RocketMQ's docs use.
pub fn setting_title(key: &str, lang: Lang) -> &'static str {
    let (en, zh) = match key {
        "producer.send" => ("send mode", "发送方式"),
        "producer.retries" => ("retries", "重试次数"),
        "producer.timeout_ms" => ("send timeout (ms)", "发送超时（毫秒）"),
        "producer.attempt_timeout_ms" => ("per-attempt cap (ms, 0 = off)", "单次尝试上限（毫秒，0 = 关）"),
        "producer.require_send_ok" => ("require SEND_OK", "只认 SEND_OK"),
        "producer.outbox" => ("local message table", "本地消息表"),
        "broker.flush" => ("broker flush", "Broker 刷盘"),
        "broker.flush_interval_ms" => ("flush interval (ms)", "刷盘间隔（毫秒）"),
        "broker.flush_timeout_ms" => ("flush timeout (ms)", "刷盘超时（毫秒）"),
        "broker.replication" => ("replication", "主从复制"),
        "replica.flush" => ("replica flush", "副本刷盘"),
        "consumer.commit" => ("consumer ack", "消费确认"),
        "consumer.mode" => ("consume mode", "消费方式"),
        "consumer.idempotent" => ("idempotent consumer", "幂等消费"),
        "consumer.max_retries" => ("max retries", "最大重试次数"),
        "consumer.check_seq" => ("check sequence numbers", "检查序号"),
        "net.latency_ms" => ("network latency (ms)", "网络延迟（毫秒）"),
        "cluster.producers" => ("producers", "Producer 数量"),
        "cluster.consumers" => ("consumers in the group", "消费者组成员数"),
        "topic.queues" => ("queues of the topic", "主题队列数"),
        _ => return "?",
    };
    if lang == Lang::Zh { zh } else { en }
}

/// A setting value's label (RocketMQ's names where it has them).
pub fn choice_label(key: &str, value: &str, lang: Lang) -> &'static str {
    let zh = lang == Lang::Zh;
    match (key, value) {
        ("producer.send", "oneway") => {
            if zh {
                "单向发送"
            } else {
                "one-way"
            }
        }
        ("producer.send", "sync") => {
            if zh {
                "同步发送"
            } else {
                "sync send"
            }
        }
        ("producer.send", "async") => {
            if zh {
                "异步发送"
            } else {
                "async send"
            }
        }
        ("broker.flush" | "replica.flush", "sync") => "SYNC_FLUSH",
        ("broker.flush" | "replica.flush", "async") => "ASYNC_FLUSH",
        ("broker.replication", "none") => {
            if zh {
                "无副本"
            } else {
                "none"
            }
        }
        ("broker.replication", "async") => "ASYNC_MASTER",
        ("broker.replication", "sync") => "SYNC_MASTER",
        ("consumer.commit", "before") => {
            if zh {
                "处理前确认"
            } else {
                "ack before processing"
            }
        }
        ("consumer.commit", "after") => {
            if zh {
                "处理后确认"
            } else {
                "ack after processing"
            }
        }
        ("consumer.mode", "sync") => {
            if zh {
                "同步消费"
            } else {
                "sync consume"
            }
        }
        ("consumer.mode", "async") => {
            if zh {
                "异步消费"
            } else {
                "async consume"
            }
        }
        _ => "?",
    }
}

/// A setting's one-line explanation: the registry's in English, a translation in Chinese.
pub fn setting_help(key: &str, lang: Lang) -> &'static str {
    mqlab_core::settings::spec(key).map_or("", |s| s.help_in(lang))
}

/// A token state's name for the legend and the ledger's "where" column.
pub fn token(state: TokenState, lang: Lang) -> &'static str {
    let zh = lang == Lang::Zh;
    match state {
        TokenState::ProducerMemory => {
            if zh {
                "生产者内存"
            } else {
                "producer memory"
            }
        }
        TokenState::InFlight => {
            if zh {
                "网络中"
            } else {
                "in flight"
            }
        }
        TokenState::PageCache => {
            if zh {
                "页缓存"
            } else {
                "page cache"
            }
        }
        TokenState::Flushed => {
            if zh {
                "已刷盘"
            } else {
                "on disk"
            }
        }
        TokenState::Replicated => {
            if zh {
                "已复制"
            } else {
                "replicated"
            }
        }
        TokenState::Processing => {
            if zh {
                "处理中"
            } else {
                "processing"
            }
        }
        TokenState::Processed => {
            if zh {
                "已处理"
            } else {
                "processed"
            }
        }
        TokenState::Retrying => {
            if zh {
                "重试中"
            } else {
                "retrying"
            }
        }
        TokenState::Lost => {
            if zh {
                "丢失"
            } else {
                "lost"
            }
        }
        TokenState::Duplicated => {
            if zh {
                "重复"
            } else {
                "duplicated"
            }
        }
        TokenState::Failed => {
            if zh {
                "失败"
            } else {
                "failed"
            }
        }
        TokenState::DeadLettered => {
            if zh {
                "死信"
            } else {
                "dead-lettered"
            }
        }
    }
}

/// A fate as the ledger shows it: the JSON word, with a translation in Chinese.
pub fn fate(fate: Fate, lang: Lang) -> String {
    let zh = match fate {
        Fate::Processed => "已处理",
        Fate::Duplicated => "重复",
        Fate::Lost => "丢失",
        Fate::Failed => "失败",
        Fate::DeadLettered => "死信",
        Fate::Pending => "进行中",
    };
    match lang {
        Lang::En => fate.name().to_owned(),
        Lang::Zh => format!("{zh} {}", fate.name()),
    }
}

/// Every Chinese string this module can return, for the font coverage test.
pub fn all_zh() -> Vec<String> {
    use mqlab_core::settings::{Domain, SETTINGS};
    let mut out: Vec<String> = T::ALL.iter().map(|t| t.zh().to_owned()).collect();
    for spec in SETTINGS {
        out.push(setting_title(spec.key, Lang::Zh).to_owned());
        out.push(setting_help(spec.key, Lang::Zh).to_owned());
        if let Domain::Choice(words) = spec.domain {
            out.extend(words.iter().map(|w| choice_label(spec.key, w, Lang::Zh).to_owned()));
        }
    }
    for state in crate::diagram::TOKEN_STATES {
        out.push(token(state, Lang::Zh).to_owned());
    }
    for f in Fate::ALL {
        out.push(fate(f, Lang::Zh));
    }
    // One of each form of node note.
    for note in [
        NodeNote::Down,
        NodeNote::Retired,
        NodeNote::Producer { id: ProducerId(1), next_seq: 4, in_memory: 0 },
        NodeNote::Consumer { processing: vec![MsgId(1)], fails_next: 2 },
        NodeNote::Consumer { processing: Vec::new(), fails_next: 0 },
        NodeNote::Log { records: 3, dirty_bytes: 512 },
    ] {
        out.push(note.text(Lang::Zh));
    }
    // Node names and the places they hold copies in (the ledger's "where").
    for kind in [Node::Producer, Node::Broker, Node::Consumer] {
        for i in 0..mqlab_core::ids::MAX_PER_KIND as u8 {
            out.extend(Place::ALL.iter().map(|p| p.describe(Lang::Zh)));
            out.push(kind(i).name_zh().to_owned());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mqlab_core::settings::{Domain, SETTINGS};

    #[test]
    fn every_setting_and_choice_has_a_name_in_both_languages() {
        for spec in SETTINGS {
            for lang in [Lang::En, Lang::Zh] {
                assert_ne!(setting_title(spec.key, lang), "?", "{}", spec.key);
                assert!(!setting_help(spec.key, lang).is_empty(), "{}", spec.key);
                if let Domain::Choice(words) = spec.domain {
                    for w in words {
                        assert_ne!(choice_label(spec.key, w, lang), "?", "{} {w}", spec.key);
                    }
                }
            }
        }
    }

    #[test]
    fn no_string_is_empty() {
        for t in T::ALL {
            assert!(!t.en().is_empty() && !t.zh().is_empty(), "{t:?}");
        }
    }
}
