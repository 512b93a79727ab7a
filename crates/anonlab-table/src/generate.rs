//! Realistic synthetic patient tables of any size, for scale tests and demos
//! that need no real data (`anonlab generate`).
//!
//! Each row is one hospital stay: a patient identifier, age, sex, a German
//! postcode, admission and discharge dates, the length of stay, an ICD-10
//! main diagnosis and four lab values. The values are correlated the way a
//! data steward would expect (diagnoses depend on age and sex; the length of
//! stay on diagnosis and age; glucose on diabetes, creatinine on kidney
//! disease and age, haemoglobin on sex and anaemia, CRP on infections), so
//! generalization, risk and utility behave as on real data. Seeded with
//! ChaCha8, the same seed gives the same table on every platform.

use std::io::Write;
use std::path::Path;

use chrono::{Duration, NaiveDate};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, LogNormal, Normal};

use crate::error::{Error, Result};
use crate::io::AtomicFile;

/// The columns of a generated table.
pub const HEADER: [&str; 12] = [
    "patient_id",
    "age",
    "sex",
    "zip",
    "admission",
    "discharge",
    "length_of_stay",
    "diagnosis",
    "creatinine",
    "hemoglobin",
    "glucose",
    "crp",
];

/// A diagnosis: ICD-10 code, who gets it (age range, sex), how often, typical stay in days.
struct Diagnosis {
    code: &'static str,
    ages: (u32, u32),
    sex: Option<char>,
    weight: f64,
    stay: f64,
}

const DIAGNOSES: &[Diagnosis] = &[
    Diagnosis { code: "I10", ages: (35, 100), sex: None, weight: 8.0, stay: 4.0 },
    Diagnosis { code: "I21.9", ages: (40, 100), sex: None, weight: 4.0, stay: 7.0 },
    Diagnosis { code: "I50.9", ages: (55, 100), sex: None, weight: 6.0, stay: 9.0 },
    Diagnosis { code: "I63.9", ages: (50, 100), sex: None, weight: 4.0, stay: 11.0 },
    Diagnosis { code: "I48.9", ages: (50, 100), sex: None, weight: 4.0, stay: 5.0 },
    Diagnosis { code: "E11.9", ages: (30, 100), sex: None, weight: 6.0, stay: 6.0 },
    Diagnosis { code: "N18.9", ages: (45, 100), sex: None, weight: 3.0, stay: 8.0 },
    Diagnosis { code: "J18.9", ages: (0, 100), sex: None, weight: 6.0, stay: 7.0 },
    Diagnosis { code: "J44.9", ages: (45, 100), sex: None, weight: 4.0, stay: 8.0 },
    Diagnosis { code: "J45.9", ages: (3, 60), sex: None, weight: 2.0, stay: 3.0 },
    Diagnosis { code: "K35.8", ages: (5, 60), sex: None, weight: 3.0, stay: 3.0 },
    Diagnosis { code: "K80.2", ages: (25, 90), sex: None, weight: 3.0, stay: 4.0 },
    Diagnosis { code: "S72.0", ages: (65, 100), sex: None, weight: 3.0, stay: 14.0 },
    Diagnosis { code: "S06.0", ages: (0, 100), sex: None, weight: 2.0, stay: 2.0 },
    Diagnosis { code: "C50.9", ages: (30, 95), sex: Some('f'), weight: 3.0, stay: 6.0 },
    Diagnosis { code: "C61", ages: (50, 100), sex: Some('m'), weight: 3.0, stay: 7.0 },
    Diagnosis { code: "C34.9", ages: (45, 95), sex: None, weight: 2.0, stay: 9.0 },
    Diagnosis { code: "O80", ages: (17, 45), sex: Some('f'), weight: 6.0, stay: 3.0 },
    Diagnosis { code: "F10.2", ages: (18, 80), sex: None, weight: 2.0, stay: 9.0 },
    Diagnosis { code: "F32.9", ages: (15, 90), sex: None, weight: 2.0, stay: 25.0 },
    Diagnosis { code: "F03", ages: (70, 100), sex: None, weight: 2.0, stay: 12.0 },
    Diagnosis { code: "D64.9", ages: (0, 100), sex: None, weight: 2.0, stay: 4.0 },
    Diagnosis { code: "A41.9", ages: (0, 100), sex: None, weight: 2.0, stay: 12.0 },
    Diagnosis { code: "Z38.0", ages: (0, 0), sex: None, weight: 5.0, stay: 3.0 },
];

/// German postcode regions (first two digits) with rough population weights.
const POSTCODE_REGIONS: &[(u32, f64)] = &[
    (10, 6.0),
    (12, 4.0),
    (13, 3.0),
    (20, 4.0),
    (22, 3.0),
    (28, 2.0),
    (30, 2.5),
    (33, 1.5),
    (40, 3.0),
    (44, 2.0),
    (45, 2.0),
    (50, 3.5),
    (53, 1.5),
    (60, 3.0),
    (65, 1.5),
    (70, 3.0),
    (76, 1.5),
    (80, 4.0),
    (85, 2.0),
    (90, 2.0),
    (1, 2.0),
    (4, 2.0),
    (6, 1.0),
    (7, 1.0),
    (18, 1.0),
    (24, 1.5),
    (37, 1.0),
    (55, 1.0),
    (66, 1.0),
    (97, 1.0),
];

/// Generates patient stays from a seed.
pub struct PatientGenerator {
    rng: ChaCha8Rng,
    first_day: NaiveDate,
    days: i64,
    patients: u64,
    next_patient: u64,
}

/// One generated stay.
#[derive(Debug, Clone, PartialEq)]
pub struct Stay {
    /// Patient identifier (patients recur: about one in four stays is a readmission).
    pub patient_id: String,
    /// Age in years.
    pub age: u32,
    /// `f` or `m`.
    pub sex: char,
    /// Five-digit German postcode.
    pub zip: String,
    /// Admission date.
    pub admission: NaiveDate,
    /// Discharge date.
    pub discharge: NaiveDate,
    /// Days in hospital.
    pub length_of_stay: u32,
    /// ICD-10 main diagnosis.
    pub diagnosis: &'static str,
    /// mg/dL
    pub creatinine: f64,
    /// g/dL
    pub hemoglobin: f64,
    /// mg/dL
    pub glucose: f64,
    /// mg/L
    pub crp: f64,
}

fn pick<T>(rng: &mut ChaCha8Rng, items: &[T], weight: impl Fn(&T) -> f64) -> usize {
    let total: f64 = items.iter().map(&weight).sum();
    let mut x = rng.random::<f64>() * total;
    for (i, item) in items.iter().enumerate() {
        x -= weight(item);
        if x < 0.0 {
            return i;
        }
    }
    items.len() - 1
}

impl PatientGenerator {
    /// A generator for about `rows` stays, seeded with `seed`.
    pub fn new(seed: u64, rows: u64) -> Self {
        let first_day = NaiveDate::from_ymd_opt(2016, 1, 1).expect("a valid date");
        let last_day = NaiveDate::from_ymd_opt(2024, 12, 31).expect("a valid date");
        PatientGenerator {
            rng: ChaCha8Rng::seed_from_u64(seed),
            first_day,
            days: (last_day - first_day).num_days(),
            patients: (rows * 3 / 4).max(1),
            next_patient: 0,
        }
    }

    /// The next stay.
    pub fn stay(&mut self) -> Stay {
        let rng = &mut self.rng;
        // A quarter of the stays re-admit an earlier patient (same id, new stay).
        let patient = if self.next_patient > 0 && rng.random::<f64>() < 0.25 {
            rng.random_range(0..self.next_patient)
        } else {
            self.next_patient = (self.next_patient + 1).min(self.patients);
            self.next_patient - 1
        };
        let sex = if rng.random::<f64>() < 0.52 { 'f' } else { 'm' };
        // Hospital populations are old: a mixture of newborns, adults and the elderly.
        let age = match rng.random::<f64>() {
            x if x < 0.06 => 0,
            x if x < 0.30 => rng.random_range(1..45),
            _ => (Normal::new(72.0, 12.0).expect("valid").sample(rng) as i64).clamp(45, 100) as u32,
        };
        let fits = |d: &Diagnosis| age >= d.ages.0 && age <= d.ages.1 && d.sex.is_none_or(|s| s == sex);
        let diagnosis = &DIAGNOSES[pick(rng, DIAGNOSES, |d| if fits(d) { d.weight } else { 0.0 })];
        let region = POSTCODE_REGIONS[pick(rng, POSTCODE_REGIONS, |r| r.1)].0;
        let zip = format!("{:02}{:03}", region, rng.random_range(0..1000));
        let stay_mean = diagnosis.stay * (1.0 + (age as f64 - 50.0).max(0.0) / 100.0);
        let length_of_stay =
            (LogNormal::from_mean_cv(stay_mean, 0.6).expect("valid").sample(rng).round() as u32).clamp(1, 120);
        let admission = self.first_day + Duration::days(rng.random_range(0..=self.days));
        let discharge = admission + Duration::days(length_of_stay as i64);
        let normal = |rng: &mut ChaCha8Rng, mean: f64, sd: f64| Normal::new(mean, sd).expect("valid").sample(rng);
        let creatinine = (normal(rng, 0.8 + age as f64 / 200.0, 0.15)
            + if diagnosis.code == "N18.9" { normal(rng, 1.8, 0.6) } else { 0.0 })
        .max(0.2);
        let hemoglobin = (normal(rng, if sex == 'f' { 13.2 } else { 14.8 }, 1.1)
            - if diagnosis.code == "D64.9" { 4.0 } else { 0.0 })
        .max(4.0);
        let glucose =
            (normal(rng, 95.0, 12.0) + if diagnosis.code == "E11.9" { normal(rng, 90.0, 30.0) } else { 0.0 }).max(40.0);
        let infection = matches!(diagnosis.code, "J18.9" | "A41.9" | "K35.8");
        let crp = LogNormal::from_mean_cv(if infection { 90.0 } else { 6.0 }, 0.9).expect("valid").sample(rng);
        Stay {
            patient_id: format!("P{:08}", patient + 1),
            age,
            sex,
            zip,
            admission,
            discharge,
            length_of_stay,
            diagnosis: diagnosis.code,
            creatinine,
            hemoglobin,
            glucose,
            crp,
        }
    }
}

/// Writes `rows` stays seeded with `seed` to a CSV file (atomically).
pub fn write_csv(path: &Path, rows: u64, seed: u64, delimiter: u8) -> Result<()> {
    let mut file = AtomicFile::create(path)?;
    let d = delimiter as char;
    let fail = |e: std::io::Error| Error::io(path, "write", &e);
    let mut generator = PatientGenerator::new(seed, rows);
    {
        let out = file.writer();
        writeln!(out, "{}", HEADER.join(&d.to_string())).map_err(fail)?;
        for _ in 0..rows {
            let s = generator.stay();
            writeln!(
                out,
                "{}{d}{}{d}{}{d}{}{d}{}{d}{}{d}{}{d}{}{d}{:.2}{d}{:.1}{d}{:.0}{d}{:.1}",
                s.patient_id,
                s.age,
                s.sex,
                s.zip,
                s.admission.format("%Y-%m-%d"),
                s.discharge.format("%Y-%m-%d"),
                s.length_of_stay,
                s.diagnosis,
                s.creatinine,
                s.hemoglobin,
                s.glucose,
                s.crp
            )
            .map_err(fail)?;
        }
    }
    file.commit()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_table_and_plausible_correlations() {
        let mut a = PatientGenerator::new(7, 20_000);
        let mut b = PatientGenerator::new(7, 20_000);
        let stays: Vec<Stay> = (0..20_000).map(|_| a.stay()).collect();
        assert!(stays.iter().all(|s| *s == b.stay()));
        assert_ne!(PatientGenerator::new(8, 10).stay(), PatientGenerator::new(7, 10).stay());

        let mean = |xs: Vec<f64>| xs.iter().sum::<f64>() / xs.len() as f64;
        let by = |code: &str, f: fn(&Stay) -> f64| mean(stays.iter().filter(|s| s.diagnosis == code).map(f).collect());
        let others =
            |code: &str, f: fn(&Stay) -> f64| mean(stays.iter().filter(|s| s.diagnosis != code).map(f).collect());
        assert!(by("E11.9", |s| s.glucose) > others("E11.9", |s| s.glucose) + 50.0);
        assert!(by("N18.9", |s| s.creatinine) > others("N18.9", |s| s.creatinine) + 1.0);
        assert!(by("S72.0", |s| s.age as f64) > 70.0);
        assert!(stays.iter().filter(|s| s.diagnosis == "O80").all(|s| s.sex == 'f' && (17..=45).contains(&s.age)));
        assert!(stays.iter().all(|s| (s.discharge - s.admission).num_days() == s.length_of_stay as i64));
        let women: Vec<f64> = stays.iter().filter(|s| s.sex == 'f').map(|s| s.hemoglobin).collect();
        let men: Vec<f64> = stays.iter().filter(|s| s.sex == 'm').map(|s| s.hemoglobin).collect();
        assert!(mean(men) > mean(women) + 1.0);
        let readmissions =
            stays.len() - stays.iter().map(|s| &s.patient_id).collect::<std::collections::HashSet<_>>().len();
        assert!(readmissions > 2_000, "{readmissions}");
    }
}
