//! Outbound meeting updates: the CloudEvent samspil publishes, and reading it back.
//!
//! All CPR numbers here are synthetic.

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use samspil::contract::{
    AkasseParticipation, Cpr, ErrorCode, MeetingForm, MeetingKind, MeetingUpdate, OutboundEvent, PUBLISHER_SOURCE,
    UpdateReason, UpdateType,
};
use serde_json::{Value, json};

const CPR: &str = "0101901234";

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn at(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 9, 1, h, m, s).unwrap()
}

fn update(update_type: UpdateType) -> MeetingUpdate {
    MeetingUpdate {
        update_type,
        meeting_id: "mtg-abc123".into(),
        sequence: 2,
        cpr: serde_json::from_value::<Cpr>(json!(CPR)).unwrap(),
        municipality: "840".into(),
        akasse: "067".into(),
        kind: MeetingKind::FirstJoint,
        date: day(10, 7),
        form: MeetingForm::Video,
        akasse_participation: AkasseParticipation::OptedOut,
        deadline: day(11, 6),
        deadline_missed: true,
        previous_date: Some(day(10, 5)),
        reason: Some(UpdateReason::CvCompleted),
    }
}

fn json_of(event: &OutboundEvent) -> Value {
    serde_json::from_str(&event.to_json()).unwrap()
}

#[test]
fn rescheduled_event_has_every_contract_field() {
    let event = OutboundEvent::new(&update(UpdateType::Rescheduled), at(6, 15, 1));
    assert_eq!(
        json_of(&event),
        json!({
            "specversion": "1.0",
            "id": "mtg-abc123-2",
            "source": "urn:dk:samspil",
            "type": "dk.jobcenter.meeting-rescheduled.v1",
            "time": "2026-09-01T06:15:01Z",
            "datacontenttype": "application/json",
            "subject": "mtg-abc123",
            "data": {
                "meeting_id": "mtg-abc123",
                "sequence": 2,
                "cpr": CPR,
                "municipality": "840",
                "akasse": "067",
                "kind": "first_joint",
                "date": "2026-10-07",
                "form": "video",
                "akasse_participation": "opted_out",
                "deadline": "2026-11-06",
                "deadline_missed": true,
                "previous_date": "2026-10-05",
                "reason": "cv_completed",
            },
        })
    );
}

#[test]
fn previous_date_only_for_rescheduled_and_reason_only_when_some() {
    let scheduled = OutboundEvent::new(&MeetingUpdate { reason: None, ..update(UpdateType::Scheduled) }, at(6, 0, 0));
    let data = &json_of(&scheduled)["data"];
    assert!(data.get("previous_date").is_none() && data.get("reason").is_none(), "{data}");
    assert_eq!(scheduled.event_type(), "dk.jobcenter.meeting-scheduled.v1");

    let cancelled = update(UpdateType::Cancelled);
    let cancelled = MeetingUpdate { reason: Some(UpdateReason::JobExit), ..cancelled };
    let data = &json_of(&OutboundEvent::new(&cancelled, at(6, 0, 0)))["data"];
    assert!(data.get("previous_date").is_none(), "{data}");
    assert_eq!(data["reason"], "job_exit");
}

#[test]
fn time_is_utc_with_whole_seconds() {
    let time = at(6, 15, 1) + chrono::Duration::nanoseconds(987_654_321);
    let event = OutboundEvent::new(&update(UpdateType::Scheduled), time);
    assert_eq!(json_of(&event)["time"], "2026-09-01T06:15:01Z");
    assert_eq!(event.time(), at(6, 15, 1));
}

#[test]
fn the_same_update_always_renders_the_same_id() {
    let u = update(UpdateType::Rescheduled);
    let a = OutboundEvent::new(&u, at(6, 0, 0));
    let b = OutboundEvent::new(&u, at(9, 30, 0));
    assert_eq!(a.id(), b.id());
    assert_eq!(a.to_json(), OutboundEvent::new(&u, at(6, 0, 0)).to_json());
    let next = OutboundEvent::new(&MeetingUpdate { sequence: 3, ..u }, at(6, 0, 0));
    assert_ne!(a.id(), next.id());
}

#[test]
fn accessors_for_routing() {
    let event = OutboundEvent::new(&update(UpdateType::Cancelled), at(6, 0, 0));
    assert_eq!(event.event_type(), UpdateType::Cancelled.event_type());
    assert_eq!(event.update_type(), Some(UpdateType::Cancelled));
    assert_eq!((event.municipality(), event.akasse()), ("840", "067"));
    assert_eq!(event.subject(), "mtg-abc123");
    assert_eq!(event.id(), "mtg-abc123-2");
    assert_eq!(
        event.message_attributes(),
        [("municipality", "840"), ("akasse", "067"), ("event_type", "dk.jobcenter.meeting-cancelled.v1")]
    );
    assert_eq!(json_of(&event)["source"], PUBLISHER_SOURCE);
}

#[test]
fn reads_back_what_it_writes() {
    for update_type in UpdateType::ALL {
        let original = update(update_type);
        let event = OutboundEvent::new(&original, at(6, 15, 1));
        let read = OutboundEvent::from_json(&event.to_json()).unwrap();
        assert_eq!(read, event);
        let expected_previous = if update_type == UpdateType::Rescheduled { original.previous_date } else { None };
        assert_eq!(read.to_update().unwrap(), MeetingUpdate { previous_date: expected_previous, ..original });
        assert_eq!(read.data().cpr.expose(), CPR);
    }
}

#[test]
fn reads_events_from_other_writers() {
    // Member order, whitespace, an offset time and unknown members do not matter.
    let text = r#"{ "data": { "sequence": 1, "meeting_id": "m", "cpr": "0101901234", "municipality": "851",
        "akasse": "067", "kind": "first_joint", "date": "2026-10-05", "form": "phone",
        "akasse_participation": "yes", "deadline": "2026-11-06", "deadline_missed": false, "extra": 1 },
        "type": "dk.jobcenter.meeting-scheduled.v1", "specversion": "1.0", "id": "m-1", "subject": "m",
        "source": "urn:dk:samspil", "time": "2026-09-01T08:15:01+02:00", "datacontenttype": "application/json",
        "traceparent": "x" }"#;
    let event = OutboundEvent::from_json(text).unwrap();
    assert_eq!(event.time(), at(6, 15, 1));
    assert_eq!(event.data().form, MeetingForm::Phone);
    assert_eq!(event.update_type(), Some(UpdateType::Scheduled));
}

#[test]
fn an_unknown_type_reads_but_is_no_update() {
    let mut value = json_of(&OutboundEvent::new(&update(UpdateType::Scheduled), at(6, 0, 0)));
    value["type"] = json!("dk.jobcenter.meeting-held.v1");
    let event = OutboundEvent::from_json(&value.to_string()).unwrap();
    assert_eq!(event.update_type(), None);
    assert_eq!(event.to_update(), None);
}

#[test]
fn read_errors_name_the_field_but_never_a_value() {
    let good = json_of(&OutboundEvent::new(&update(UpdateType::Scheduled), at(6, 0, 0)));
    let mut bad = good.clone();
    bad["data"]["sequence"] = json!(CPR);
    let e = OutboundEvent::from_json(&bad.to_string()).unwrap_err();
    assert_eq!(e.code, ErrorCode::MalformedField);
    assert!(e.message.contains("data.sequence"), "{}", e.message);
    assert!(!e.to_string().contains(CPR), "{e}");

    let mut bad = good.clone();
    bad["data"]["form"] = json!(CPR);
    let e = OutboundEvent::from_json(&bad.to_string()).unwrap_err();
    assert!(e.message.contains("data.form") && !e.to_string().contains(CPR), "{e}");

    let mut bad = good;
    bad["data"].as_object_mut().unwrap().remove("deadline");
    let e = OutboundEvent::from_json(&bad.to_string()).unwrap_err();
    assert_eq!(e.code, ErrorCode::MalformedField);

    for text in ["", "{", "[1,"] {
        assert_eq!(OutboundEvent::from_json(text).unwrap_err().code, ErrorCode::NotJson, "{text:?}");
    }
}

#[test]
fn debug_output_masks_the_cpr() {
    let event = OutboundEvent::new(&update(UpdateType::Scheduled), at(6, 0, 0));
    assert!(!format!("{event:?}").contains(CPR));
    assert!(event.to_json().contains(CPR), "the wire form carries the CPR by contract");
}
