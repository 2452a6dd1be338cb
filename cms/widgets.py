"""Editor widgets."""

from django import forms


class TaxonomyCheckboxes(forms.CheckboxSelectMultiple):
    """Checkboxes for fields of the taxonomy, grouped under their category (modality, technology).

    Stages, which have no category, stay one list. Grouping reads the model instance behind
    each choice, so it costs no query beyond the field's own.
    """

    def optgroups(self, name, value, attrs=None):
        flat = list(self.choices)
        groups: dict[str, list] = {}
        for option_value, label in flat:
            instance = getattr(option_value, "instance", None)
            category = (
                instance.get_category_display() if hasattr(instance, "get_category_display") else ""
            )
            groups.setdefault(str(category), []).append((option_value, label))
        if len(groups) <= 1:
            return super().optgroups(name, value, attrs)
        original = self.choices
        self.choices = list(groups.items())
        try:
            return super().optgroups(name, value, attrs)
        finally:
            self.choices = original
