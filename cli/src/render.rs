//! Meeting updates in a form a person reads at a glance.
//!
//! Works on the JSON of a published CloudEvent, so the same rendering serves the embedded replay
//! and updates read back from a queue.

use serde_json::Value;

/// One line for one update, e.g.
/// `2026-11-30 scheduled    meeting 5b1f…e2 #1  municipality 851  a-kasse 067  in_person  deadline 2026-12-13`.
pub fn update_line(event_json: &str) -> String {
    let Ok(event) = serde_json::from_str::<Value>(event_json) else {
        return format!("(unreadable update) {event_json}");
    };
    let data = &event["data"];
    let text = |v: &Value| v.as_str().unwrap_or("?").to_string();
    let kind = text(&event["type"]);
    let verb = kind.strip_prefix("dk.jobcenter.meeting-").and_then(|k| k.strip_suffix(".v1")).unwrap_or(&kind);
    let id = text(&data["meeting_id"]);
    let short_id = if id.len() > 10 { format!("{}…{}", &id[..6], &id[id.len() - 2..]) } else { id };
    let mut line = format!(
        "{date} {verb:<12} meeting {short_id} #{seq}  municipality {m}  a-kasse {a}  {form}  deadline {deadline}",
        date = text(&data["date"]),
        seq = data["sequence"],
        m = text(&data["municipality"]),
        a = text(&data["akasse"]),
        form = text(&data["form"]),
        deadline = text(&data["deadline"]),
    );
    if let Some(previous) = data["previous_date"].as_str() {
        line.push_str(&format!("  (was {previous})"));
    }
    if let Some(reason) = data["reason"].as_str() {
        line.push_str(&format!("  reason {reason}"));
    }
    if data["deadline_missed"].as_bool() == Some(true) {
        line.push_str("  DEADLINE MISSED");
    }
    if data["akasse_participation"].as_str() == Some("opted_out") {
        line.push_str("  a-kasse opted out");
    }
    line
}
