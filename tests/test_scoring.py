from brandloop.agents.scoring import combine_score, distinct_2, measure_set, readability


def test_readability_prefers_plain_words():
    assert readability("Save more. Pay no fee.") > readability("Institutional capitalization optimization infrastructure.")
    assert readability("") == 0.0


def test_distinct_2_counts_repeated_bigrams():
    assert distinct_2(["save more now", "save more today"]) == 0.75
    assert distinct_2(["a b", "c d"]) == 1.0


def test_relevance_and_uniqueness_are_measured_against_the_brief():
    texts = ["Earn 4.10% APY on your savings with no monthly fee",
             "Earn 4.10% APY on your savings with no monthly fee!",
             "Crunchy chickpea snacks for the lunch box"]
    m = measure_set(texts, "Northwind Everyday Savings account: 4.10% APY, no monthly fee", "clear, trustworthy")
    per = m["per_variant"]
    assert per[0]["relevance"] > per[2]["relevance"]
    assert per[0]["uniqueness"] < 10 and per[2]["uniqueness"] > 50  # near-duplicates get no uniqueness credit
    assert m["max_pairwise_cosine"] > 0.95


def test_uniqueness_counts_the_wording_no_sibling_uses():
    from brandloop.agents.scoring import uniqueness

    # the same product, worded apart: no shared word pair; a shared fact ('4.10% APY') costs a little
    a = "Earn 4.10% APY on savings\nNo monthly fee, ever"
    b = "Your money grows faster\nOpen online in minutes"
    c = "Earn 4.10% APY on savings\nOpen online in minutes"
    assert uniqueness([a, b]) == [100.0, 100.0]
    assert uniqueness([a, "Savings at 4.10% APY"])[0] == 75.0
    u = uniqueness([a, b, c])
    assert u[2] == 0.0 and 0 < u[0] < 100 and 0 < u[1] < 100  # c only repeats its siblings' lines
    assert uniqueness(["Save more today"]) == [100.0]
    assert uniqueness(["毎日の貯蓄をもっと簡単に", "毎日の貯蓄をもっと簡単に"]) == [0.0, 0.0]  # no spaces: character pairs
    assert uniqueness(["毎日の貯蓄をもっと簡単に", "今すぐ口座を開設"]) == [100.0, 100.0]


def test_texts_every_variant_carries_by_design_are_no_repeat():
    from brandloop.agents.scoring import uniqueness

    # a required disclaimer and the product's name in both variants: only the rest of the wording counts
    a = "Harbor Night Porter, roasted malt and cocoa. Please drink responsibly."
    b = "Harbor Night Porter for cold nights by the fire. Please drink responsibly."
    before = uniqueness([a, b])
    after = uniqueness([a, b], ["Harbor Night Porter", "Please drink responsibly."])
    assert after == [100.0, 100.0] and all(x < 75 for x in before)
    assert uniqueness([a, a], ["Please drink responsibly."]) == [0.0, 0.0]  # the same copy is still a repeat


def test_combine_score_penalises_violations_exactly():
    metrics = {"relevance": 80, "voice": 60, "readability": 70, "uniqueness": 90}
    clean = combine_score(8, metrics, [])
    assert clean == round(0.35 * 80 + 0.2 * 80 + 0.15 * 60 + 0.15 * 70 + 0.15 * 90, 1)
    hard = [{"severity": "error"}]
    soft = [{"severity": "warning"}]
    assert combine_score(8, metrics, hard) == round(clean - 8, 1)
    assert combine_score(8, metrics, soft) == round(clean - 3, 1)
    assert combine_score(8, metrics, hard * 20) == round(clean - 30, 1)
    assert combine_score(None, None, []) == 50.0
