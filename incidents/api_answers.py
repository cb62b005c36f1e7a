"""The answers of the incidents API that the views build as dicts, described for the OpenAPI
schema (and so checked by the schema fuzz, tests/test_schema_fuzz.py)."""

from rest_framework import serializers

from incidents.models import ControlLevel, CrowdColour
from personnel.models import OfficerStatus


class PhotoAddedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    sha256 = serializers.CharField()
    size = serializers.IntegerField()


class ColourAnswerSerializer(serializers.Serializer):
    colour = serializers.ChoiceField(choices=CrowdColour.choices)
    suggested_force = serializers.CharField(help_text="the procedure's suggested stage")
    control = serializers.ChoiceField(choices=ControlLevel.choices)


class OfficerSuggestionSerializer(serializers.Serializer):
    officer = serializers.IntegerField()
    nrp = serializers.CharField()
    name = serializers.CharField()
    rank = serializers.IntegerField()
    status = serializers.ChoiceField(choices=OfficerStatus.choices)
    unit = serializers.CharField()
    at = serializers.CharField(help_text="where he is taken to be: his post, Polsek or Mapolres")
    distance_m = serializers.IntegerField()


class PostSuggestionSerializer(serializers.Serializer):
    post = serializers.IntegerField()
    name = serializers.CharField()
    required_strength = serializers.IntegerField()
    distance_m = serializers.IntegerField()


class SuggestionsSerializer(serializers.Serializer):
    officers = OfficerSuggestionSerializer(many=True)
    posts = PostSuggestionSerializer(many=True)


class ResponseTimeSerializer(serializers.Serializer):
    """Seconds from report to first on scene; empty when no incident had anyone on scene."""

    count = serializers.IntegerField(required=False)
    mean_s = serializers.IntegerField(required=False)
    median_s = serializers.IntegerField(required=False)
    p90_s = serializers.IntegerField(required=False)


class IncidentStatsSerializer(serializers.Serializer):
    by_status = serializers.DictField(child=serializers.IntegerField())
    by_colour = serializers.DictField(child=serializers.IntegerField())
    response_time = ResponseTimeSerializer()
    verify_minutes = serializers.IntegerField()
