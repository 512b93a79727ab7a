use rand::Rng;

use super::*;

/// `n` records of a population with three classes: the class sets the mean
/// of the first two of four standard-normal features (1.5 apart from the
/// centre, so the classes overlap), and each label is replaced by a random
/// other class with probability `label_noise` — noise a model can only learn
/// by memorizing.
fn population(n: usize, label_noise: f64, seed: u64) -> Labelled {
    let mut rng = sample::stream(seed, "test population");
    let (mut x, mut y) = (Vec::with_capacity(4 * n), Vec::with_capacity(n));
    for _ in 0..n {
        let class = rng.random_range(0..3i64);
        let angle = std::f64::consts::TAU * class as f64 / 3.0;
        let normal = |rng: &mut ChaCha8Rng| {
            let (u1, u2): (f64, f64) = (1.0 - rng.random::<f64>(), rng.random());
            (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
        };
        x.push(1.5 * angle.cos() + normal(&mut rng));
        x.push(1.5 * angle.sin() + normal(&mut rng));
        x.push(normal(&mut rng));
        x.push(normal(&mut rng));
        y.push(if rng.random_bool(label_noise) { (class + rng.random_range(1..3)) % 3 } else { class });
    }
    Labelled { x, cols: 4, y }
}

/// A target trained on the first `trained` records of a population, an
/// attacker who knows `known` of its members and `known` non-members, and
/// `per_side` member and non-member targets (alternating), all disjoint.
fn scenario(trained: usize, known: usize, per_side: usize, label_noise: f64, seed: u64) -> (Labelled, AttackData) {
    assert!(known + per_side <= trained);
    let all = population(trained + known + per_side, label_noise, seed);
    let range = |a: usize, b: usize| all.select(&(a..b).collect::<Vec<_>>());
    let (member_targets, non_member_targets) =
        (range(known, known + per_side), range(trained + known, trained + known + per_side));
    let order: Vec<usize> = (0..per_side).flat_map(|i| [i, per_side + i]).collect();
    let data = AttackData {
        members: range(0, known),
        non_members: range(trained, trained + known),
        targets: member_targets.concat(&non_member_targets).select(&order),
        membership: order.iter().map(|&i| i < per_side).collect(),
    };
    (range(0, trained), data)
}

/// A 1-nearest-neighbour classifier: it memorizes its training set, label
/// noise included, the extreme of overfitting.
struct NearestNeighbour(Labelled);

impl LabelOracle for NearestNeighbour {
    fn predict(&mut self, x: &[f64], cols: usize) -> Result<Vec<i64>> {
        let train = &self.0;
        Ok(x.par_chunks_exact(cols)
            .map(|q| {
                let distance = |r: usize| train.row(r).iter().zip(q).map(|(a, b)| (a - b) * (a - b)).sum::<f64>();
                let nearest = (0..train.rows()).min_by(|&a, &b| distance(a).total_cmp(&distance(b))).unwrap();
                train.y[nearest]
            })
            .collect())
    }
}

/// Always answers the same class.
struct Constant(i64);

impl LabelOracle for Constant {
    fn predict(&mut self, x: &[f64], cols: usize) -> Result<Vec<i64>> {
        Ok(vec![self.0; x.len() / cols])
    }
}

/// Counts the calls and rows reaching a target.
struct Counting<O> {
    inner: O,
    calls: usize,
    rows: usize,
}

impl<O: LabelOracle> LabelOracle for Counting<O> {
    fn predict(&mut self, x: &[f64], cols: usize) -> Result<Vec<i64>> {
        self.calls += 1;
        self.rows += x.len() / cols;
        self.inner.predict(x, cols)
    }
}

fn settings(method: Method) -> Settings {
    Settings { method, seed: 5, bootstrap_rounds: 100, ..Settings::default() }
}

fn report(oracle: &str, r: &ModelAttackResult) {
    eprintln!(
        "{oracle:>14} {:>22}: AUC {:.3} [{:.3}, {:.3}]  TPR {:.3}  FPR {:.3}  advantage {:+.3} [{:+.3}, {:+.3}]  \
         queries {}",
        r.method,
        r.roc.auc.value,
        r.roc.auc.low,
        r.roc.auc.high,
        r.tpr.value,
        r.fpr.value,
        r.advantage.value,
        r.advantage.low,
        r.advantage.high,
        r.queries
    );
}

#[test]
fn a_memorizing_model_gives_its_members_away() {
    let (train, data) = scenario(600, 200, 200, 0.2, 1);
    for method in Method::ALL {
        let r = run(&mut NearestNeighbour(train.clone()), &data, &settings(method)).unwrap();
        report("1-NN", &r);
        assert!(r.tpr.value > r.fpr.value + 0.15, "{method}: TPR {:?} FPR {:?}", r.tpr, r.fpr);
        assert!(r.advantage.low > 0.0, "{method}: {:?}", r.advantage);
        if method != Method::Gap {
            assert!(r.roc.auc.value > 0.7 && r.roc.auc.low > 0.6, "{method}: AUC {:?}", r.roc.auc);
        }
        // Members are labelled correctly (the model memorized them), non-members much less often.
        assert_eq!(r.details["target_accuracy"]["member_targets"], 1.0);
    }
}

#[test]
fn a_constant_model_gives_nothing_away() {
    let (_, data) = scenario(1000, 500, 500, 0.2, 2);
    for method in Method::ALL {
        let r = run(&mut Constant(0), &data, &settings(method)).unwrap();
        report("constant", &r);
        assert!((r.roc.auc.value - 0.5).abs() < 0.08, "{method}: AUC {:?}", r.roc.auc);
        assert!(r.advantage.value.abs() < 0.1, "{method}: {:?}", r.advantage);
        assert!(r.advantage.low <= 0.0 && r.advantage.high >= 0.0, "{method}: {:?}", r.advantage);
    }
}

#[test]
fn a_model_that_generalizes_gives_almost_nothing_away() {
    let (train, data) = scenario(10_000, 500, 500, 0.0, 3);
    let model = GaussianNb::fit(&train).unwrap();
    for method in Method::ALL {
        let r = run(&mut model.clone(), &data, &settings(method)).unwrap();
        report("naive Bayes", &r);
        assert!((r.roc.auc.value - 0.5).abs() < 0.06, "{method}: AUC {:?}", r.roc.auc);
        assert!(r.advantage.value.abs() < 0.06, "{method}: {:?}", r.advantage);
    }
}

#[test]
fn each_run_sends_one_batch() {
    let (train, data) = scenario(300, 100, 50, 0.2, 4);
    let q = 24;
    // Gap: the targets; robustness: the targets and the attacker's records, each with
    // its copies; shadow: the targets with their copies (the shadows are local).
    for (method, rows) in
        [(Method::Gap, 100), (Method::Robustness, (100 + 200) * (q + 1)), (Method::Shadow, 100 * (q + 1))]
    {
        let mut target = Counting { inner: NearestNeighbour(train.clone()), calls: 0, rows: 0 };
        let r = run(&mut target, &data, &Settings { queries_per_target: q, ..settings(method) }).unwrap();
        assert_eq!((target.calls, target.rows), (1, rows), "{method}");
        assert_eq!((r.predict_calls, r.queries), (1, rows as u64), "{method}");
    }
}

#[test]
fn the_same_seed_gives_the_same_result() {
    let (train, data) = scenario(300, 100, 100, 0.2, 5);
    let json = |s: &Settings| {
        let mut r = run(&mut NearestNeighbour(train.clone()), &data, s).unwrap();
        r.seconds = 0.0;
        serde_json::to_string(&r).unwrap()
    };
    for method in Method::ALL {
        let s = settings(method);
        assert_eq!(json(&s), json(&s), "{method}");
    }
    for method in [Method::Robustness, Method::Shadow] {
        let s = settings(method);
        assert_ne!(json(&s), json(&Settings { seed: 6, ..s.clone() }), "{method}");
    }
}

#[test]
fn the_result_serializes_with_its_figures() {
    let (train, data) = scenario(300, 100, 100, 0.2, 6);
    let r = run(&mut NearestNeighbour(train), &data, &settings(Method::Shadow)).unwrap();
    let v = serde_json::to_value(&r).unwrap();
    assert_eq!(v["attack"], "model-membership");
    assert_eq!(v["method"], "label-only-shadow");
    assert_eq!(v["scores"].as_array().unwrap().len(), 200);
    assert_eq!((r.n_members, r.n_non_members), (100, 100));
    assert!(v["roc"]["auc"]["value"].is_number() && v["advantage"]["low"].is_number());
    assert!(v["details"]["method"]["attack_model"]["weight_robustness_share"].is_number());
    // TPR and FPR are counts over their own side.
    assert_eq!(r.tpr.value, r.true_positives as f64 / 100.0);
    assert_eq!(r.fpr.value, r.false_positives as f64 / 100.0);
    assert!(r.warnings.iter().any(|w| w.contains("0.1 %")), "{:?}", r.warnings);
}

#[test]
fn rejects_bad_inputs() {
    let (train, data) = scenario(100, 30, 30, 0.2, 7);
    let fails = |data: &AttackData, s: &Settings, needle: &str| {
        let e = run(&mut NearestNeighbour(train.clone()), data, s).unwrap_err();
        assert_eq!(e.kind(), crate::ErrorKind::Invalid, "{e}");
        assert!(e.to_string().contains(needle), "{e} should mention '{needle}'");
    };
    let s = settings(Method::Robustness);
    let with = |change: &dyn Fn(&mut AttackData)| {
        let mut d = data.clone();
        change(&mut d);
        d
    };
    let empty = Labelled { x: vec![], cols: 4, y: vec![] };
    fails(&with(&|d| d.targets = empty.clone()), &s, "targets are empty");
    fails(&with(&|d| d.non_members = empty.clone()), &s, "non-members are empty");
    fails(&with(&|d| d.members.cols = 0), &s, "0 columns");
    fails(
        &with(&|d| {
            d.members.x.pop();
        }),
        &s,
        "hold 119",
    );
    fails(
        &with(&|d| d.non_members = Labelled { x: vec![0.0; 90], cols: 3, y: vec![0; 30] }),
        &s,
        "3 columns but the targets have 4",
    );
    fails(&with(&|d| d.targets.x[9] = f64::NAN), &s, "NaN in row 2, column 1");
    fails(&with(&|d| d.members.x[0] = f64::INFINITY), &s, "non-finite feature inf");
    fails(
        &with(&|d| {
            d.membership.pop();
        }),
        &s,
        "59 membership flags for 60 targets",
    );
    fails(&with(&|d| d.membership.iter_mut().for_each(|m| *m = true)), &s, "members and non-members");
    fails(&data, &Settings { queries_per_target: 0, ..s.clone() }, "queries per target");
    fails(&data, &Settings { noise: -0.1, ..s.clone() }, "noise");
    fails(&data, &Settings { noise: f64::NAN, ..s.clone() }, "noise");
    fails(&data, &Settings { shadow_models: 0, ..settings(Method::Shadow) }, "shadow model");
    fails(&data, &Settings { confidence: 1.0, ..s.clone() }, "confidence");
    fails(&data, &Settings { bootstrap_rounds: 0, ..s.clone() }, "bootstrap");
    fails(&data, &Settings { delta: 1.0, ..s.clone() }, "δ");
    let few = with(&|d| {
        d.members = d.members.select(&[0, 1, 2]);
        d.non_members = d.non_members.select(&[0, 1]);
    });
    fails(&few, &settings(Method::Shadow), "at least 20");
    assert!(run(&mut NearestNeighbour(train.clone()), &few, &settings(Method::Robustness)).is_ok());
}

#[test]
fn rejects_a_target_that_miscounts_its_labels() {
    struct Short;
    impl LabelOracle for Short {
        fn predict(&mut self, x: &[f64], cols: usize) -> Result<Vec<i64>> {
            Ok(vec![0; x.len() / cols - 1])
        }
    }
    let (_, data) = scenario(100, 30, 30, 0.2, 8);
    for method in Method::ALL {
        let e = run(&mut Short, &data, &settings(method)).unwrap_err();
        assert!(e.to_string().contains("labels for"), "{method}: {e}");
    }
    // And a target's own error comes through unchanged.
    struct Down;
    impl LabelOracle for Down {
        fn predict(&mut self, _: &[f64], _: usize) -> Result<Vec<i64>> {
            Err(Error::invalid("the anonymizer answered 503"))
        }
    }
    assert!(run(&mut Down, &data, &settings(Method::Gap)).unwrap_err().to_string().contains("503"));
}

#[test]
fn calibration_maximizes_tpr_minus_fpr() {
    // Flagging > 0.65 catches 3 of 4 members and 1 of 4 non-members (J = 0.5), the best there is.
    let c = calibrate(&[0.9, 0.8, 0.7, 0.2], &[0.6, 0.5, 0.1, 0.8]);
    assert!((c.threshold - 0.65).abs() < 1e-12 && (c.tpr, c.fpr) == (0.75, 0.25), "{c:?}");
    // No separation: flag no one.
    let c = calibrate(&[0.5, 0.5], &[0.5]);
    assert_eq!(c, Calibration { threshold: 0.5, tpr: 0.0, fpr: 0.0 });
}

#[test]
fn advantage_interval_matches_newcombe() {
    // Newcombe (1998), table II, example (a): 56/70 − 48/80 = 0.2, method 10 gives 0.0524 to 0.3339.
    let d = difference(proportion(56, 70, 0.95).unwrap(), proportion(48, 80, 0.95).unwrap());
    assert!((d.value - 0.2).abs() < 1e-12, "{d:?}");
    assert!((d.low - 0.0524).abs() < 5e-5 && (d.high - 0.3339).abs() < 5e-5, "{d:?}");
    // It may be negative, down to −1.
    let d = difference(proportion(0, 10, 0.95).unwrap(), proportion(10, 10, 0.95).unwrap());
    assert!(d.value == -1.0 && d.low == -1.0 && d.high < -0.5, "{d:?}");
}

#[test]
fn method_names_round_trip() {
    for method in Method::ALL {
        assert_eq!(method.name().parse::<Method>().unwrap(), method);
    }
    assert_eq!("shadow".parse::<Method>().unwrap(), Method::Shadow);
    assert!("confidence".parse::<Method>().is_err());
}
