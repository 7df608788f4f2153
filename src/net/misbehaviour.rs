//! Misbehaviour scores, as Bitcoin Core's `Misbehaving()`: each bad answer a peer gives adds
//! points; at [`BAN_THRESHOLD`] the peer is banned, and the node spends nothing on it until the
//! ban ends. A ban lasts [`FIRST_BAN`], twice as long at each repeat, at most [`LONGEST_BAN`].
//!
//! Answers no honest node gives — an invalid or undecodable block, an oversized answer, blocks
//! that do not link, a common block at another height than this node's, `HELD` for a block whose
//! parent it just confirmed having — are worth the whole threshold. Announcements that do not
//! exist when asked for are worth less each (a race can explain one, not a stream of them), and
//! points fade, one every [`FADE`], so an honest peer's rare races never add up to a ban.
//! A peer that is merely slow or unreachable is never banned: it is retried with backoff.

use std::time::{Duration, Instant};

/// Points at which a peer is banned.
pub const BAN_THRESHOLD: u32 = 100;
/// The first ban.
pub const FIRST_BAN: Duration = Duration::from_secs(60);
/// The longest ban.
pub const LONGEST_BAN: Duration = Duration::from_secs(24 * 60 * 60);

/// How long one point takes to fade.
pub const FADE: Duration = Duration::from_secs(3);

/// What a block announced and then not served costs.
pub const UNSERVED_BLOCK: u32 = 20;
/// What a transaction announced and then not served costs.
pub const UNSERVED_TRANSACTION: u32 = 10;

/// One peer's score, kept across its sessions.
#[derive(Debug, Default)]
pub struct Score {
    points: u32,
    bans: u32,
    /// When the points were last counted.
    counted: Option<Instant>,
}

impl Score {
    /// Adds `points`. At the threshold the points start again and the ban's length is
    /// returned.
    pub fn add(&mut self, points: u32) -> Option<Duration> {
        self.add_at(points, Instant::now())
    }

    fn add_at(&mut self, points: u32, now: Instant) -> Option<Duration> {
        self.fade(now);
        self.points = self.points.saturating_add(points);
        if self.points < BAN_THRESHOLD {
            return None;
        }
        self.points = 0;
        let ban = FIRST_BAN
            .checked_mul(1 << self.bans.min(16))
            .map_or(LONGEST_BAN, |ban| ban.min(LONGEST_BAN));
        self.bans = self.bans.saturating_add(1);
        Some(ban)
    }

    /// The points now.
    pub fn points(&mut self) -> u32 {
        self.fade(Instant::now());
        self.points
    }

    fn fade(&mut self, now: Instant) {
        if let Some(counted) = self.counted {
            let faded = now.saturating_duration_since(counted).as_secs() / FADE.as_secs();
            let faded = u32::try_from(faded).unwrap_or(u32::MAX);
            if faded > 0 {
                self.points = self.points.saturating_sub(faded);
                self.counted = Some(counted + FADE * faded.min(1 << 16));
            }
        } else {
            self.counted = Some(now);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bans_double_and_stop_at_a_day() {
        let mut score = Score::default();
        assert_eq!(score.add(UNSERVED_TRANSACTION * 9), None);
        assert_eq!(score.add(UNSERVED_TRANSACTION), Some(FIRST_BAN));
        assert_eq!(score.points(), 0);
        assert_eq!(score.add(BAN_THRESHOLD), Some(FIRST_BAN * 2));
        assert_eq!(score.add(BAN_THRESHOLD), Some(FIRST_BAN * 4));
        for _ in 0..30 {
            score.add(BAN_THRESHOLD);
        }
        assert_eq!(score.add(BAN_THRESHOLD), Some(LONGEST_BAN));
    }

    #[test]
    fn points_fade_so_rare_races_never_ban() {
        let mut score = Score::default();
        let start = Instant::now();
        // One unserved block a minute, for an hour: 20 points in and 20 faded out each minute.
        for minute in 0..60 {
            let now = start + Duration::from_secs(60 * minute);
            assert_eq!(score.add_at(UNSERVED_BLOCK, now), None, "minute {minute}");
        }
        // Five in a second are a ban.
        let now = start + Duration::from_secs(3600);
        let bans: Vec<_> = (0..5)
            .filter_map(|_| score.add_at(UNSERVED_BLOCK, now))
            .collect();
        assert_eq!(bans, vec![FIRST_BAN]);
    }
}
