//! The codec: every state round-trips, bad bytes are errors (never panics), and the bytes of a
//! known state stay what they were (items already stored must keep decoding).

use chrono::{DateTime, Days, NaiveDate, Utc};
use proptest::prelude::*;

use super::*;
use crate::contract::{
    AkasseParticipation, CvCompleted, ExitReason, Fact, JobExit, JobExitWithdrawal, MeetingForm, MeetingKind,
    Registration, UpdateReason, UpdateType, WeeklyHours,
};
use crate::domain::{LastUpdate, Meeting, MeetingStatus, RecordedFact, Transfer};
use crate::identity::meeting_id;

fn person() -> PersonKey {
    PersonKey::from_hex(&"ab".repeat(32)).unwrap()
}

fn day(offset: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 1, 1).unwrap() + Days::new(offset)
}

fn any_day() -> impl Strategy<Value = NaiveDate> {
    prop_oneof![8 => (0u64..1500).prop_map(day), 1 => (0u64..80_000).prop_map(|d| NaiveDate::from_ymd_opt(1900, 1, 1).unwrap() + Days::new(d))]
}

fn any_text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("851".to_string()),
        "[0-9]{3}",
        "[0-9a-f]{2,40}",
        "[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        "[0-9A-F]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
        ".{0,12}",
    ]
}

fn any_key() -> impl Strategy<Value = MessageKey> {
    (prop_oneof![Just("urn:dk:akasse:067".to_string()), Just("urn:dk:akasse:010".to_string()), ".{0,8}"], any_text())
        .prop_map(|(source, id)| MessageKey { source: source.into(), id: id.into() })
}

fn any_time() -> impl Strategy<Value = Option<DateTime<Utc>>> {
    proptest::option::of((-4_000_000_000i64..4_000_000_000, prop_oneof![3 => Just(0u32), 1 => 0u32..1_000_000_000]))
        .prop_map(|t| t.map(|(s, n)| DateTime::from_timestamp(s, n).unwrap()))
}

fn any_fact() -> impl Strategy<Value = Fact> {
    let registration = (
        any_text(),
        any_text(),
        any_day(),
        prop_oneof![Just(0.0), (0u32..5000).prop_map(f64::from), 0.0f64..10_000.0],
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(|(municipality, akasse, registered_on, prior_hours, part, opted)| {
            Fact::Registration(Registration {
                municipality: municipality.into(),
                akasse: akasse.into(),
                registered_on,
                prior_hours,
                weekly_hours: if part { WeeklyHours::PartTime } else { WeeklyHours::FullTime },
                akasse_participation: if opted { AkasseParticipation::OptedOut } else { AkasseParticipation::Yes },
            })
        });
    let reason = prop_oneof![Just(ExitReason::Job), Just(ExitReason::Education), Just(ExitReason::Other)];
    prop_oneof![
        registration,
        any_day().prop_map(|completed_on| Fact::CvCompleted(CvCompleted { completed_on })),
        (any_day(), reason).prop_map(|(job_starts_on, reason)| Fact::JobExit(JobExit { job_starts_on, reason })),
        any_day().prop_map(|job_starts_on| Fact::JobExitWithdrawn(JobExitWithdrawal { job_starts_on })),
    ]
}

fn any_recorded_fact() -> impl Strategy<Value = RecordedFact> {
    (any_key(), any_day(), any_fact(), any_time()).prop_map(|(key, received_on, fact, time)| RecordedFact {
        key,
        received_on,
        fact,
        time,
    })
}

/// The meeting as its old receivers heard of it before a transfer (rule R8). Its `sequence` is how
/// far below the one before the meeting's it is, until [`any_meeting`] makes it the sequence.
fn any_transfer() -> impl Strategy<Value = Transfer> {
    (
        (any_text(), any_text(), any_day(), any_day()),
        (
            any::<bool>(),
            prop_oneof![Just(MeetingForm::InPerson), Just(MeetingForm::Phone), Just(MeetingForm::Video)],
            any::<bool>(),
        ),
        (prop_oneof![Just(0u32), 0u32..4, any::<u32>()], proptest::option::of(any_day())),
    )
        .prop_map(|((municipality, akasse, date, deadline), (deadline_missed, form, opted), (sequence, day))| {
            Transfer {
                municipality: municipality.into(),
                akasse: akasse.into(),
                date,
                deadline,
                deadline_missed,
                form,
                akasse_participation: if opted { AkasseParticipation::OptedOut } else { AkasseParticipation::Yes },
                sequence,
                day,
            }
        })
}

/// A meeting, made from `facts` where a stored meeting would be (its registration, its cause) or
/// not, so that both the short and the long forms are tried.
fn any_meeting(facts: Vec<RecordedFact>) -> impl Strategy<Value = Meeting> {
    let pick =
        move |n: usize, other: MessageKey| if facts.is_empty() { other } else { facts[n % facts.len()].key.clone() };
    let pick2 = pick.clone();
    let key = (any::<usize>(), any::<bool>(), any_key()).prop_map(
        move |(n, own, other)| {
            if own { pick(n, other) } else { other }
        },
    );
    let update = (
        prop_oneof![Just(UpdateType::Scheduled), Just(UpdateType::Rescheduled), Just(UpdateType::Cancelled)],
        proptest::option::of(any_day()),
        proptest::option::of(prop_oneof![
            Just(UpdateReason::CvCompleted),
            Just(UpdateReason::JobExit),
            Just(UpdateReason::Superseded),
            Just(UpdateReason::JobExitWithdrawn),
            Just(UpdateReason::Corrected),
            Just(UpdateReason::Transferred),
        ]),
        (any::<usize>(), any_key()).prop_map(move |(n, other)| pick2(n, other)),
        proptest::collection::vec(any_transfer().boxed(), 0..3),
    )
        .prop_map(|(update_type, previous_date, reason, caused_by, transferred_from)| LastUpdate {
            update_type,
            previous_date,
            reason,
            caused_by,
            transferred_from,
        })
        // Boxed: the strategy's nested types otherwise outgrow a test thread's stack in debug builds.
        .boxed();
    (
        (any::<bool>(), any_text(), any_day(), any_text(), any_text()),
        (prop_oneof![Just(MeetingForm::InPerson), Just(MeetingForm::Phone), Just(MeetingForm::Video)], any::<bool>()),
        (any::<bool>(), any_day(), any_day(), any::<bool>(), proptest::option::of(any_day())),
        (proptest::option::of(key), any::<u32>(), proptest::option::of(update)),
    )
        .prop_map(
            |(
                (derived, id, period_start, municipality, akasse),
                (form, opted),
                rest,
                (registration, sequence, last_update),
            )| {
                let (cancelled, date, deadline, deadline_missed, cv_basis) = rest;
                let kind = MeetingKind::FirstJoint;
                let (sequence, last_update) = transfers_below(sequence, last_update);
                Meeting {
                    id: if derived { meeting_id(&person(), period_start, kind) } else { id },
                    kind,
                    period_start,
                    municipality: municipality.into(),
                    akasse: akasse.into(),
                    form,
                    akasse_participation: if opted { AkasseParticipation::OptedOut } else { AkasseParticipation::Yes },
                    status: if cancelled { MeetingStatus::Cancelled } else { MeetingStatus::Planned },
                    date,
                    deadline,
                    deadline_missed,
                    cv_basis,
                    registration,
                    sequence,
                    last_update,
                }
            },
        )
}

/// A meeting's sequence and last update with every transfer's sequence from 1 to below the
/// meeting's, as the domain keeps them (the meeting's at least 2 when there is a transfer).
fn transfers_below(sequence: u32, mut last_update: Option<LastUpdate>) -> (u32, Option<LastUpdate>) {
    let transfers = last_update.as_mut().map(|u| &mut u.transferred_from).filter(|t| !t.is_empty());
    let Some(transfers) = transfers else { return (sequence, last_update) };
    let sequence = sequence.max(2);
    for t in transfers {
        t.sequence = sequence - 1 - t.sequence % (sequence - 1);
    }
    (sequence, last_update)
}

/// Meetings that take their period start and codes from their registration, as decide's do.
fn like_decide(mut meeting: Meeting, facts: &[RecordedFact]) -> Meeting {
    if let Some(Fact::Registration(r)) =
        facts.iter().find(|f| Some(&f.key) == meeting.registration.as_ref()).map(|f| &f.fact)
    {
        meeting.period_start = r.registered_on;
        meeting.id = meeting_id(&person(), meeting.period_start, meeting.kind);
        meeting.municipality.clone_from(&r.municipality);
        meeting.akasse.clone_from(&r.akasse);
    }
    meeting
}

fn any_state() -> impl Strategy<Value = PersonState> {
    proptest::collection::vec(any_recorded_fact(), 0..8).prop_flat_map(|facts| {
        let meetings = proptest::collection::vec((any_meeting(facts.clone()), any::<bool>()), 0..4);
        let summons = (
            proptest::option::of(any_day()),
            proptest::option::of(any_text().prop_map(SealedCpr)),
            proptest::option::of(
                (any_key(), any_time().prop_filter("a start", Option::is_some))
                    .prop_map(|(key, started)| SweepRun { key, started: started.unwrap() }),
            ),
        );
        (Just(facts), meetings, summons, proptest::option::of(any_day())).prop_map(
            |(facts, meetings, (sweep_due, pending_cpr, unpublished_summons), folded_until)| {
                let meetings =
                    meetings.into_iter().map(|(m, tidy)| if tidy { like_decide(m, &facts) } else { m }).collect();
                PersonState { facts, meetings, sweep_due, pending_cpr, unpublished_summons, folded_until }
            },
        )
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Every field of every struct survives: a field added to the state but forgotten by the codec
    /// fails here once the generators make it (and does not compile in `encode` before that).
    #[test]
    fn every_state_round_trips(state in any_state()) {
        let bytes = encode(&person(), &state);
        prop_assert_eq!(decode(&person(), &bytes), Ok(state));
    }

    /// The in-memory store's form, ids written out, decodes to the same state.
    #[test]
    fn every_state_round_trips_keeping_ids(state in any_state()) {
        let bytes = encode_keeping_ids(&state);
        prop_assert_eq!(decode(&person(), &bytes), Ok(state));
    }

    /// Cut or damaged bytes are an error or another state, never a panic.
    #[test]
    fn damaged_bytes_never_panic(state in any_state(), cut in any::<usize>(), flip in any::<u8>()) {
        let mut bytes = encode(&person(), &state);
        let at = cut % bytes.len();
        prop_assert!(decode(&person(), &bytes[..at]).is_err());
        bytes[at] ^= flip;
        let _ = decode(&person(), &bytes);
    }
}

#[test]
fn empty_state_is_three_bytes_and_garbage_is_refused() {
    assert_eq!(encode(&person(), &PersonState::default()), vec![FORMAT, 0]);
    assert_eq!(decode(&person(), &[]), Err(CodecError::Empty));
    assert_eq!(decode(&person(), b"{\"facts\":[]}"), Err(CodecError::UnknownFormat(b'{')));
    assert!(matches!(decode(&person(), &[FORMAT, 9, 0]), Err(CodecError::UnknownSection { tag: 9, .. })));
    assert!(matches!(decode(&person(), &[FORMAT, 0, 0]), Err(CodecError::Invalid { .. })));
}

/// The bytes of one typical state, fixed: changing the layout of format 1 breaks items already
/// stored, so it fails here (add a section, a flag or a new format instead; see the module doc).
#[test]
fn format_1_bytes_stay_the_same() {
    let key = |id: &str| MessageKey { source: "urn:dk:akasse:067".into(), id: id.into() };
    let reg = RecordedFact {
        key: key("reg-1"),
        received_on: day(2),
        fact: Fact::Registration(Registration {
            municipality: "851".into(),
            akasse: "067".into(),
            registered_on: day(1),
            prior_hours: 60.0,
            weekly_hours: WeeklyHours::PartTime,
            akasse_participation: AkasseParticipation::Yes,
        }),
        time: Some("2026-01-02T08:00:00Z".parse().unwrap()),
    };
    let exit = RecordedFact {
        key: key("0f5c7a58-2b1e-4d5e-9a49-6f0e1a2b3c4d"),
        received_on: day(30),
        fact: Fact::JobExit(JobExit { job_starts_on: day(40), reason: ExitReason::Job }),
        time: None,
    };
    let meeting = Meeting {
        id: meeting_id(&person(), day(1), MeetingKind::FirstJoint),
        kind: MeetingKind::FirstJoint,
        period_start: day(1),
        municipality: "851".into(),
        akasse: "067".into(),
        form: MeetingForm::InPerson,
        akasse_participation: AkasseParticipation::Yes,
        status: MeetingStatus::Cancelled,
        date: day(36),
        deadline: day(40),
        deadline_missed: false,
        cv_basis: None,
        registration: Some(key("reg-1")),
        sequence: 2,
        last_update: Some(LastUpdate {
            update_type: UpdateType::Cancelled,
            previous_date: None,
            reason: Some(UpdateReason::JobExit),
            caused_by: key("0f5c7a58-2b1e-4d5e-9a49-6f0e1a2b3c4d"),
            transferred_from: Vec::new(),
        }),
    };
    let state = PersonState { facts: vec![reg, exit], meetings: vec![meeting], ..PersonState::default() };
    let bytes = encode(&person(), &state);
    let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(
        hex,
        "0101011175726e3a646b3a616b617373653a30363702020c00147265672d31b4940102fe870ed30643780200420f5c7a58\
         2b1e4d5e9a496f0e1a2b3c4d82950113030191eb010001464e02010200",
        "{} bytes",
        bytes.len()
    );
    assert_eq!(decode(&person(), &bytes), Ok(state));
}

/// A meeting transferred (rule R8) from Rebild (840) to Aalborg (851), its update by `reg-1`.
fn transferred(sequence: u32, transferred_from: Vec<Transfer>) -> PersonState {
    let key = MessageKey { source: "urn:dk:akasse:067".into(), id: "reg-1".into() };
    let reg = RecordedFact {
        key: key.clone(),
        received_on: day(2),
        fact: Fact::Registration(Registration {
            municipality: "851".into(),
            akasse: "067".into(),
            registered_on: day(1),
            prior_hours: 0.0,
            weekly_hours: WeeklyHours::FullTime,
            akasse_participation: AkasseParticipation::Yes,
        }),
        time: Some("2026-01-02T08:00:00Z".parse().unwrap()),
    };
    let meeting = Meeting {
        id: meeting_id(&person(), day(1), MeetingKind::FirstJoint),
        kind: MeetingKind::FirstJoint,
        period_start: day(1),
        municipality: "851".into(),
        akasse: "067".into(),
        form: MeetingForm::InPerson,
        akasse_participation: AkasseParticipation::Yes,
        status: MeetingStatus::Planned,
        date: day(30),
        deadline: day(40),
        deadline_missed: false,
        cv_basis: None,
        registration: Some(key.clone()),
        sequence,
        last_update: Some(LastUpdate {
            update_type: UpdateType::Scheduled,
            previous_date: None,
            reason: Some(UpdateReason::Corrected),
            caused_by: key,
            transferred_from,
        }),
    };
    PersonState { facts: vec![reg], meetings: vec![meeting], ..PersonState::default() }
}

/// What Rebild (840) was told of the meeting, sent as its cancellation with `sequence`.
fn rebild(sequence: u32, day: Option<NaiveDate>) -> Transfer {
    Transfer {
        municipality: "840".into(),
        akasse: "067".into(),
        date: self::day(50),
        deadline: self::day(55),
        deadline_missed: false,
        form: MeetingForm::Phone,
        akasse_participation: AkasseParticipation::OptedOut,
        sequence,
        day,
    }
}

fn from_hex(hex: &str) -> Vec<u8> {
    (0..hex.len()).step_by(2).map(|i| u8::from_str_radix(&hex[i..i + 2], 16).unwrap()).collect()
}

/// Rule R8: a transfer keeps the sequence and the day of its cancellation, several transfers are
/// kept in order, and an item written before they were kept (these bytes are what that code wrote
/// for `transferred(3, ..)`) still reads: its one transfer's sequence is the one before the
/// meeting's, its day unknown, so it is never sent again with a later update. A corrupt item whose
/// transfer sequence would fall outside 1 to below the meeting's is refused, never wrapped.
#[test]
fn transfers_keep_their_sequence_and_day_and_items_written_before_still_read() {
    let old = from_hex(
        "0101011175726e3a646b3a616b617373653a30363702010400147265672d31b4940102fe870ed3064300030181e303\
         00013a4e03040105c80643626c00",
    );
    let read = decode(&person(), &old).expect("an item written before transfers kept their sequence and day");
    assert_eq!(read, transferred(3, vec![rebild(2, None)]));
    assert!(!read.meetings[0].last_update.as_ref().unwrap().transferred_from[0].is_kept_on(day(2)));
    assert_eq!(encode(&person(), &read), old, "written back the same way");

    // Two transfers: Rebild's cancellation carried from an earlier update (sequence 2, 4 below the
    // meeting's 6), then this update's own (sequence 5), to the a-kasse 058.
    let carried = rebild(2, Some(day(3)));
    let own = Transfer { akasse: "058".into(), sequence: 5, day: Some(day(4)), ..rebild(5, None) };
    let state = transferred(6, vec![carried, own]);
    let bytes = encode(&person(), &state);
    assert_eq!(decode(&person(), &bytes), Ok(state));
    // The first transfer gains its gap and its day (a byte each, its flags still one); the second
    // takes flags, two codes, two dates and its day (7 bytes), its sequence the one before the meeting's.
    assert_eq!(bytes.len(), old.len() + 9);

    // Corrupt: the old form under a meeting of sequence 1 or 0 would give sequence 0, or wrap.
    for sequence in [1u8, 0] {
        let mut bad = old.clone();
        let at = bad.len() - 10;
        assert_eq!(bad[at], 3, "the meeting's sequence");
        bad[at] = sequence;
        let refused = decode(&person(), &bad);
        assert!(matches!(refused, Err(CodecError::Invalid { what: "transfer sequence", .. })), "{refused:?}");
    }
    // Corrupt: a transfer sequence of 0, or not below the meeting's (written as a gap of 6 or 0).
    for sequence in [0, 6, 7] {
        let bad = encode(&person(), &transferred(6, vec![rebild(sequence, Some(day(3)))]));
        let refused = decode(&person(), &bad);
        assert!(matches!(refused, Err(CodecError::Invalid { what: "transfer sequence", .. })), "{refused:?}");
    }
}
