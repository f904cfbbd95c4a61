"""site_build.figures: every lesson figure is paired with its dark-scheme variant."""

from site_build.figures import dark_variant_of, with_dark_variants


def test_a_figure_with_a_dark_variant_becomes_a_pair_for_the_two_schemes():
    html = '<p><img alt="The loss falls." src="../figures/04_loss_log/curves.png" /></p>'
    paired = with_dark_variants(html, {"figures/04_loss_log/curves"}.__contains__)
    assert paired == (
        '<p><img alt="The loss falls." loading="lazy" src="../figures/04_loss_log/curves.png#only-light">'
        '<img alt="The loss falls." loading="lazy" src="../figures/04_loss_log/curves.dark.png#only-dark"></p>'
    )


def test_other_images_are_left_alone():
    html = '<img alt="x" src="../figures/04_loss_log/old.png"><img src="logo.png">'
    assert with_dark_variants(html, lambda stem: False) == html


def test_dark_variants_are_known_by_their_file_names():
    assert dark_variant_of("figures/04_loss_log/curves.dark.png") == "figures/04_loss_log/curves"
    assert dark_variant_of("figures/04_loss_log/curves.png") is None
